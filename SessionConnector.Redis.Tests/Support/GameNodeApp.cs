using System;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using SessionConnector.AspNetCore;
using SessionConnector.Storage;

namespace SessionConnector.Redis.Tests.Support;

[SessionData]
public partial class GamePlayer
{
    public string? Name { get; set; }

    public int Score { get; set; }
}

/// <summary>
/// One game-server node: a real Kestrel on loopback whose session routes use the header transport, with resume tokens
/// and a session-bound WebSocket at /game/play ("inc" adds a point; every reply is the score read through the view).
/// Nodes of one test share the storage prefix and key, as a deployment's nodes do.
/// </summary>
internal sealed class GameNodeApp : IAsyncDisposable
{
    public const string ResumeHeader = "Resume-Token";

    private readonly WebApplication _app;
    private readonly SessionKeyRing _keys;

    private GameNodeApp(WebApplication app, SessionKeyRing keys)
    {
        _app = app;
        _keys = keys;
        BaseAddress = new Uri(app.Urls.First());
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public static async Task<GameNodeApp> StartAsync(Func<SessionStorage> storage, byte[] secret, TimeSpan checkInterval)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        SessionKeyRing keys = SessionKeyRing.FromSecret(secret);
        builder.Services.AddSessionConnector(o =>
        {
            o.Connector.Keys = keys;
            // Longer than any test: a socket on another node can only learn of a sign-out through the invalidation channel.
            o.Connector.CacheMaxAge = TimeSpan.FromMinutes(5);
            o.Storage = _ => storage();
        });
        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.UseSessionConnector();
        Map(app, new SessionWebSocketOptions { CheckInterval = checkInterval });
        await app.StartAsync();
        return new GameNodeApp(app, keys);
    }

    private static void Map(WebApplication app, SessionWebSocketOptions socketOptions)
    {
        RouteGroupBuilder game = app.MapGroup("/game").WithSessionHeader();
        // With bound=true the login binds the player's principal (its name here), so sign out everywhere reaches it.
        game.MapPost("/login", async (HttpContext context, string name, bool? bound) =>
        {
            RequestSession<GamePlayer> session = context.GetSession<GamePlayer>();
            (await session.GetAsync()).Name = name;
            if (bound == true) await session.RenewAsync(principalId: name);
            else await session.RenewAsync();
            return Results.Text(await session.IssueResumeTokenAsync());
        });
        game.MapGet("/whoami", async (HttpContext context) =>
            await context.GetSession<GamePlayer>().GetAsync() is { Name: { } name } ? Results.Text(name) : Results.Unauthorized());
        game.MapPost("/logout", async (HttpContext context) =>
        {
            await context.GetSession<GamePlayer>().SignOutAsync();
            return Results.NoContent();
        });
        game.MapPost("/signout-everywhere", async (HttpContext context) =>
        {
            await context.GetSession<GamePlayer>().SignOutEverywhereAsync();
            return Results.NoContent();
        });
        game.MapPost("/resume", async (HttpContext context) =>
        {
            string? next = await context.GetSession<GamePlayer>().ResumeAsync(context.Request.Headers[ResumeHeader].ToString());
            return next is null ? Results.Unauthorized() : Results.Text(next);
        });
        game.Map("/play", async (HttpContext context) =>
        {
            await using SessionWebSocket<GamePlayer, GamePlayer.View>? socket = await context.GetSession<GamePlayer>().AcceptWebSocketAsync<GamePlayer.View>(socketOptions);
            if (socket is null) return Results.Unauthorized();
            byte[] buffer = new byte[64];
            try
            {
                while (true)
                {
                    ValueWebSocketReceiveResult received = await socket.Socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (received.MessageType == WebSocketMessageType.Close) break;
                    if (buffer.AsSpan(0, received.Count).SequenceEqual("inc"u8) && !await socket.UpdateAsync(p =>
                    {
                        p.Score++;
                        return p;
                    }))
                    {
                        break;
                    }

                    if (!socket.TryRead(out GamePlayer.View view)) break;
                    await socket.SendAsync(Encoding.ASCII.GetBytes(view.Score.ToString(CultureInfo.InvariantCulture)), WebSocketMessageType.Text);
                }
            }
            catch (WebSocketException)
            {
                // The client went away.
            }

            return Results.Empty;
        });
    }

    public async Task<(string Session, string Resume)> LoginAsync(string name, bool bound = false)
    {
        HttpResponseMessage login = await Client.PostAsync($"/game/login?name={name}&bound={(bound ? "true" : "false")}", null);
        login.EnsureSuccessStatusCode();
        return (login.Headers.GetValues(SessionTokenHeader.DefaultResponseHeaderName).Single(), await login.Content.ReadAsStringAsync());
    }

    public Task<HttpResponseMessage> ResumeAsync(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/game/resume");
        request.Headers.TryAddWithoutValidation(ResumeHeader, token);
        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string session)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + session);
        return Client.SendAsync(request);
    }

    public async Task<ClientWebSocket> ConnectAsync(string session)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + session);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(new UriBuilder(BaseAddress) { Scheme = "ws", Path = "/game/play" }.Uri, timeout.Token);
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _keys.Dispose();
    }
}
