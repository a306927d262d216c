using System;
using System.Linq;
using System.Net.Http;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using SessionConnector;
using SessionConnector.AspNetCore;
using SessionConnector.Storage;

namespace GameFigures;

[SessionData]
public partial class Player
{
    public string? Name { get; set; }

    public int X { get; set; }
}

/// <summary>One game node on loopback: /login, /resume, /play (a view read per message) and /bare (no session).</summary>
internal sealed class Node : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Node(WebApplication app)
    {
        _app = app;
        BaseAddress = new Uri(app.Urls.First());
        Http = new HttpClient { BaseAddress = BaseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public static async Task<Node> StartAsync(Func<SessionStorage> storage, byte[] secret, TimeSpan checkInterval)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSessionConnector(o =>
        {
            o.Connector.Keys = SessionKeyRing.FromSecret(secret);
            o.Connector.CacheMaxAge = TimeSpan.FromMinutes(5);
            o.Storage = _ => storage();
            o.UseHeaderTransport();
        });
        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.UseSessionConnector();
        var socketOptions = new SessionWebSocketOptions { CheckInterval = checkInterval };
        app.MapPost("/login", async (HttpContext context) =>
        {
            RequestSession<Player> session = context.GetSession<Player>();
            (await session.GetAsync()).Name = "ada";
            await session.RenewAsync();
            return Results.Text(await session.IssueResumeTokenAsync());
        });
        app.MapPost("/resume", async (HttpContext context) =>
        {
            string? next = await context.GetSession<Player>().ResumeAsync(context.Request.Headers["Resume-Token"].ToString());
            return next is null ? Results.Unauthorized() : Results.Text(next);
        });
        app.MapPost("/logout", async (HttpContext context) =>
        {
            await context.GetSession<Player>().SignOutAsync();
            return Results.NoContent();
        });
        app.Map("/play", async (HttpContext context) =>
        {
            await using SessionWebSocket<Player, Player.View>? socket = await context.GetSession<Player>().AcceptWebSocketAsync<Player.View>(socketOptions);
            if (socket is null) return Results.Unauthorized();
            byte[] buffer = new byte[64];
            byte[] reply = new byte[8];
            try
            {
                while (true)
                {
                    ValueWebSocketReceiveResult received = await socket.Socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (received.MessageType == WebSocketMessageType.Close) break;
                    if (!socket.TryRead(out Player.View player)) break;
                    BitConverter.TryWriteBytes(reply, player.X);
                    await socket.SendAsync(reply);
                }
            }
            catch (WebSocketException)
            {
                // client gone
            }

            return Results.Empty;
        });
        app.Map("/bare", async (HttpContext context) =>
        {
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            byte[] buffer = new byte[64];
            byte[] reply = new byte[8];
            try
            {
                while (true)
                {
                    ValueWebSocketReceiveResult received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        break;
                    }

                    BitConverter.TryWriteBytes(reply, 0);
                    await socket.SendAsync(reply.AsMemory(), WebSocketMessageType.Binary, true, CancellationToken.None);
                }
            }
            catch (WebSocketException)
            {
                // client gone
            }
        });
        await app.StartAsync();
        return new Node(app);
    }

    public async Task<(string Session, string Resume)> LoginAsync()
    {
        HttpResponseMessage login = await Http.PostAsync("/login", null);
        login.EnsureSuccessStatusCode();
        return (login.Headers.GetValues("Session-Token").Single(), await login.Content.ReadAsStringAsync());
    }

    public async Task<(string Session, string Next)> ResumeAsync(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/resume");
        request.Headers.TryAddWithoutValidation("Resume-Token", token);
        HttpResponseMessage resumed = await Http.SendAsync(request);
        resumed.EnsureSuccessStatusCode();
        return (resumed.Headers.GetValues("Session-Token").Single(), await resumed.Content.ReadAsStringAsync());
    }

    public async Task LogoutAsync(string session)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/logout");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + session);
        (await Http.SendAsync(request)).EnsureSuccessStatusCode();
    }

    public async Task<ClientWebSocket> ConnectAsync(string path, string? session)
    {
        var socket = new ClientWebSocket();
        if (session is not null) socket.Options.SetRequestHeader("Authorization", "Bearer " + session);
        await socket.ConnectAsync(new UriBuilder(BaseAddress) { Scheme = "ws", Path = path }.Uri, CancellationToken.None);
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
