using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Support;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>
/// Two game-server nodes (real Kestrel each, own Redis connection each) on one Redis: header tokens, resume tokens and
/// session-bound WebSockets across nodes, with real ClientWebSocket clients.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class GameNodesTests(RedisServer server)
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(200);

    private async Task<(GameNodeApp A, GameNodeApp B)> TwoNodesAsync()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        GameNodeApp a = await GameNodeApp.StartAsync(() => TestNodes.Storage(server, prefix), secret, CheckInterval);
        GameNodeApp b = await GameNodeApp.StartAsync(() => TestNodes.Storage(server, prefix), secret, CheckInterval);
        return (a, b);
    }

    private static async Task<string> AskAsync(ClientWebSocket socket, string message)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.SendAsync(Encoding.ASCII.GetBytes(message), WebSocketMessageType.Text, true, timeout.Token);
        byte[] buffer = new byte[64];
        WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, result.Count);
    }

    private static async Task<WebSocketCloseStatus?> AwaitCloseAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        byte[] buffer = new byte[64];
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close) return result.CloseStatus;
        }
    }

    [Fact]
    public async Task SignOutOnNodeAClosesTheSocketOnNodeB()
    {
        (GameNodeApp a, GameNodeApp b) = await TwoNodesAsync();
        await using (a)
        await using (b)
        {
            (string session, _) = await a.LoginAsync("ada");
            using ClientWebSocket socket = await b.ConnectAsync(session);
            Assert.Equal("1", await AskAsync(socket, "inc"));
            Assert.Equal("1", await AskAsync(socket, "read")); // cached on B now: only an invalidation can tell it the session ended

            Task<WebSocketCloseStatus?> closed = AwaitCloseAsync(socket);
            var clock = Stopwatch.StartNew();
            Assert.Equal(HttpStatusCode.NoContent, (await a.SendAsync(HttpMethod.Post, "/game/logout", session)).StatusCode);
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, await closed);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"closed after {clock.Elapsed}");
        }
    }

    [Fact]
    public async Task SignOutEverywhereOnNodeAClosesThePrincipalsSocketsOnBothNodes()
    {
        (GameNodeApp a, GameNodeApp b) = await TwoNodesAsync();
        await using (a)
        await using (b)
        {
            (string first, string resume) = await a.LoginAsync("ada", bound: true);
            (string second, _) = await b.LoginAsync("ada", bound: true);
            (string third, _) = await a.LoginAsync("ada", bound: true);
            (string other, _) = await a.LoginAsync("bob", bound: true);
            using ClientWebSocket onB = await b.ConnectAsync(first);
            using ClientWebSocket onA = await a.ConnectAsync(second);
            using ClientWebSocket bystander = await b.ConnectAsync(other);
            // Cached on each node now: only an invalidation of the principal's generation can tell them it ended.
            Assert.Equal("0", await AskAsync(onB, "read"));
            Assert.Equal("0", await AskAsync(onA, "read"));
            Assert.Equal("0", await AskAsync(bystander, "read"));

            Task<WebSocketCloseStatus?> closedB = AwaitCloseAsync(onB);
            Task<WebSocketCloseStatus?> closedA = AwaitCloseAsync(onA);
            var clock = Stopwatch.StartNew();
            Assert.Equal(HttpStatusCode.NoContent, (await a.SendAsync(HttpMethod.Post, "/game/signout-everywhere", third)).StatusCode);
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, await closedB);
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, await closedA);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"closed after {clock.Elapsed}");

            // The resume token issued before dies with the sign-in, on either node; another principal plays on.
            Assert.Equal(HttpStatusCode.Unauthorized, (await b.ResumeAsync(resume)).StatusCode);
            Assert.Equal("1", await AskAsync(bystander, "inc"));
        }
    }

    [Fact]
    public async Task ConcurrentResumesOfOneTokenOnTwoNodesExactlyOneWins()
    {
        (GameNodeApp a, GameNodeApp b) = await TwoNodesAsync();
        await using (a)
        await using (b)
        {
            (string session, string resume) = await a.LoginAsync("ada");
            HttpResponseMessage[] answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => (i % 2 == 0 ? a : b).ResumeAsync(resume)));

            Assert.Single(answers, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Equal(11, answers.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
            Assert.Equal("ada", await (await b.SendAsync(HttpMethod.Get, "/game/whoami", session)).Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task AReusedTokenOnAnotherNodeEndsTheSessionAndClosesItsSocket()
    {
        (GameNodeApp a, GameNodeApp b) = await TwoNodesAsync();
        await using (a)
        await using (b)
        {
            (string session, string resume) = await a.LoginAsync("ada");
            HttpResponseMessage resumed = await b.ResumeAsync(resume);
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
            using ClientWebSocket socket = await b.ConnectAsync(session);
            Assert.Equal("0", await AskAsync(socket, "read"));
            Task<WebSocketCloseStatus?> closed = AwaitCloseAsync(socket);

            // Past the window in which a second presentation counts as a concurrent retry, the old token comes back: a replay.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            Assert.Equal(HttpStatusCode.Unauthorized, (await a.ResumeAsync(resume)).StatusCode);
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, await closed);
            Assert.Equal(HttpStatusCode.Unauthorized, (await b.SendAsync(HttpMethod.Get, "/game/whoami", session)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await a.ResumeAsync(await resumed.Content.ReadAsStringAsync())).StatusCode);
        }
    }

    [Fact]
    public async Task ATokenReplayedAfterSignOutOnAnotherNodeIsRefused()
    {
        (GameNodeApp a, GameNodeApp b) = await TwoNodesAsync();
        await using (a)
        await using (b)
        {
            (string session, string resume) = await a.LoginAsync("ada");
            await b.SendAsync(HttpMethod.Post, "/game/logout", session);
            Assert.Equal(HttpStatusCode.Unauthorized, (await a.ResumeAsync(resume)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await b.ResumeAsync(resume)).StatusCode);
        }
    }

    [Fact]
    public async Task ResumeTokensAreStoredOnlyAsKeyedHashes()
    {
        string prefix = TestNodes.NewPrefix();
        await using GameNodeApp a = await GameNodeApp.StartAsync(() => TestNodes.Storage(server, prefix), SharedNodes.NewSecret(), CheckInterval);
        (string session, string resume) = await a.LoginAsync("ada");
        var keys = server.Server.Keys(0, prefix + "*", 500).Select(k => k.ToString()).ToArray();
        Assert.Equal(2, keys.Length); // the session and its grant, nothing else
        foreach (string key in keys)
        {
            Assert.DoesNotContain(resume, key);
            Assert.DoesNotContain(session, key);
            string stored = string.Join("|", server.Db.HashGetAll(key).Select(e => e.Name + "=" + e.Value));
            Assert.DoesNotContain(resume, stored);
            Assert.DoesNotContain(session, stored);
        }
    }
}
