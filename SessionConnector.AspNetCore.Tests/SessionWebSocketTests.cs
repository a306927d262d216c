using System;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

public sealed class SessionWebSocketTests
{
    private static Task<TestApp> StartAsync(Action<SessionConnectorWebOptions>? configure = null, SessionWebSocketOptions? socket = null) =>
        TestApp.StartAsync(configure, outer: app => app.UseWebSockets(), endpoints: app => GameEndpoints.Map(app, socket ?? new SessionWebSocketOptions { CheckInterval = TimeSpan.FromMilliseconds(100) }));

    private static async Task<ClientWebSocket> ConnectAsync(TestApp app, string? sessionToken)
    {
        var socket = new ClientWebSocket();
        if (sessionToken is not null) socket.Options.SetRequestHeader("Authorization", "Bearer " + sessionToken);
        var uri = new UriBuilder(app.BaseAddress) { Scheme = "ws", Path = "/game/play" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(uri, timeout.Token);
        return socket;
    }

    private static async Task<string> AskAsync(ClientWebSocket socket, string message)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.SendAsync(Encoding.ASCII.GetBytes(message), WebSocketMessageType.Text, true, timeout.Token);
        byte[] buffer = new byte[64];
        WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return Encoding.ASCII.GetString(buffer, 0, result.Count);
    }

    /// <summary>Waits for the server's close frame (the client does not send anything meanwhile).</summary>
    private static async Task<(WebSocketCloseStatus? Status, TimeSpan After)> AwaitCloseAsync(ClientWebSocket socket, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(limit);
        byte[] buffer = new byte[64];
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close) return (result.CloseStatus, clock.Elapsed);
        }
    }

    private static async Task<string> LoginAsync(HttpClient client) => (await client.PostAsync("/game/login?user=ada", null)).Token()!;

    [Fact]
    public async Task TheSocketReadsThroughViewsAndUpdatesTheSession()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        string token = await LoginAsync(client);
        using ClientWebSocket socket = await ConnectAsync(app, token);

        Assert.Equal("0", await AskAsync(socket, "read"));
        Assert.Equal("1", await AskAsync(socket, "inc"));
        Assert.Equal("2", await AskAsync(socket, "inc"));
        // The updates are the session's: an HTTP request sees them.
        TestSession? stored = await app.Connector.GetAsync<TestSession>(token);
        Assert.Equal(2, stored!.Counter);
    }

    [Fact]
    public async Task WithoutASessionTheHandshakeIsRefused()
    {
        await using TestApp app = await StartAsync();
        var error = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(app, SessionIds.Generate()));
        Assert.Contains("401", error.Message);
    }

    [Fact]
    public async Task SignOutClosesTheSocket()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        string token = await LoginAsync(client);
        using ClientWebSocket socket = await ConnectAsync(app, token);
        Assert.Equal("0", await AskAsync(socket, "read"));

        Task<(WebSocketCloseStatus? Status, TimeSpan After)> closed = AwaitCloseAsync(socket, TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/game/logout").Bearer(token))).StatusCode);
        (WebSocketCloseStatus? status, _) = await closed;
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
    }

    [Fact]
    public async Task AnIdleSessionExpiresAndClosesTheSocketUnlessTheAppKeepsItAlive()
    {
        static void Idle(SessionConnectorWebOptions o) => o.Session.IdleTimeout = TimeSpan.FromSeconds(2);

        await using TestApp plain = await StartAsync(Idle, new SessionWebSocketOptions { CheckInterval = TimeSpan.FromMilliseconds(200) });
        await using TestApp kept = await StartAsync(Idle, new SessionWebSocketOptions { CheckInterval = TimeSpan.FromMilliseconds(200), KeepSessionAlive = true });
        using HttpClient plainClient = plain.Raw();
        using HttpClient keptClient = kept.Raw();
        string plainToken = await LoginAsync(plainClient);
        string keptToken = await LoginAsync(keptClient);
        using ClientWebSocket plainSocket = await ConnectAsync(plain, plainToken);
        using ClientWebSocket keptSocket = await ConnectAsync(kept, keptToken);

        (WebSocketCloseStatus? status, _) = await AwaitCloseAsync(plainSocket, TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        // Twice the idle timeout later, the kept connection and its session are alive.
        Assert.Equal("0", await AskAsync(keptSocket, "read"));
        Assert.Equal("ada", await (await keptClient.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/game/whoami").Bearer(keptToken))).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AResumedClientGetsANewSocketOnTheSameSession()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/game/login?user=ada", null);
        string resume = await login.Content.ReadAsStringAsync();
        using (ClientWebSocket first = await ConnectAsync(app, login.Token()))
        {
            Assert.Equal("1", await AskAsync(first, "inc"));
            first.Abort(); // the connection drops
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/game/resume");
        request.Headers.TryAddWithoutValidation(GameEndpoints.ResumeHeader, resume);
        HttpResponseMessage resumed = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        using ClientWebSocket second = await ConnectAsync(app, resumed.Token());
        Assert.Equal("2", await AskAsync(second, "inc"));
    }

    [Fact]
    public async Task OnSharedFileStorageASignOutInAnotherAppClosesTheSocketWithinTheCacheAge()
    {
        // Two apps (two connectors, two caches, as two processes on one host) over one directory: no invalidation
        // channel, so the bound is the check interval plus the cache's maximum age.
        string directory = TestApp.NewRoot();
        byte[] secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        void Shared(SessionConnectorWebOptions o)
        {
            o.Connector.Keys = SessionKeyRing.FromSecret(secret);
            o.Connector.CacheMaxAge = TimeSpan.FromSeconds(1);
            o.UseFileStorage(directory);
        }

        await using TestApp a = await StartAsync(Shared);
        await using TestApp b = await StartAsync(Shared);
        using HttpClient clientA = a.Raw();
        string token = await LoginAsync(clientA);
        using ClientWebSocket socket = await ConnectAsync(b, token);
        Assert.Equal("0", await AskAsync(socket, "read"));

        Task<(WebSocketCloseStatus? Status, TimeSpan After)> closed = AwaitCloseAsync(socket, TimeSpan.FromSeconds(10));
        await clientA.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/game/logout").Bearer(token));
        (WebSocketCloseStatus? status, TimeSpan after) = await closed;
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.True(after < TimeSpan.FromSeconds(5), $"closed after {after}");
    }
    [Fact]
    public async Task SignOutEverywhereClosesTheSocketsOfEverySessionOfThePrincipal()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        string first = (await client.PostAsync("/game/login-bound?user=ada", null)).Token()!;
        string second = (await client.PostAsync("/game/login-bound?user=ada", null)).Token()!;
        string third = (await client.PostAsync("/game/login-bound?user=ada", null)).Token()!;
        string other = (await client.PostAsync("/game/login-bound?user=bob", null)).Token()!;
        using ClientWebSocket socketA = await ConnectAsync(app, first);
        using ClientWebSocket socketB = await ConnectAsync(app, second);
        using ClientWebSocket bystander = await ConnectAsync(app, other);
        Assert.Equal("0", await AskAsync(socketA, "read"));
        Assert.Equal("0", await AskAsync(socketB, "read"));

        Task<(WebSocketCloseStatus? Status, TimeSpan After)> closedA = AwaitCloseAsync(socketA, TimeSpan.FromSeconds(10));
        Task<(WebSocketCloseStatus? Status, TimeSpan After)> closedB = AwaitCloseAsync(socketB, TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/game/signout-everywhere").Bearer(third))).StatusCode);

        (WebSocketCloseStatus? statusA, TimeSpan afterA) = await closedA;
        (WebSocketCloseStatus? statusB, TimeSpan afterB) = await closedB;
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, statusA);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, statusB);
        Assert.True(afterA < TimeSpan.FromSeconds(5) && afterB < TimeSpan.FromSeconds(5), $"closed after {afterA} and {afterB}");
        // Another principal's socket stays open.
        Assert.Equal("1", await AskAsync(bystander, "inc"));
    }
}
