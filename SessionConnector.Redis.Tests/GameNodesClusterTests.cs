using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Support;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>Resume tokens and session-bound sockets across two game nodes on a real Redis Cluster (3 primaries + 3 replicas).</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class GameNodesClusterTests(RedisCluster cluster)
{
    [Fact]
    public async Task OnRedisClusterOneResumeWinsAcrossNodesAndSignOutClosesTheOtherNodesSocket()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        RedisSessionStorage Storage() => RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = cluster.Configuration, KeyPrefix = prefix });
        await using GameNodeApp a = await GameNodeApp.StartAsync(Storage, secret, TimeSpan.FromMilliseconds(200));
        await using GameNodeApp b = await GameNodeApp.StartAsync(Storage, secret, TimeSpan.FromMilliseconds(200));

        (string session, string resume) = await a.LoginAsync("ada");
        HttpResponseMessage[] answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? a : b).ResumeAsync(resume)));
        Assert.Single(answers, r => r.StatusCode == HttpStatusCode.OK);

        using ClientWebSocket socket = await b.ConnectAsync(session);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.SendAsync("read"u8.ToArray(), WebSocketMessageType.Text, true, timeout.Token);
        byte[] buffer = new byte[64];
        Assert.Equal(WebSocketMessageType.Text, (await socket.ReceiveAsync(buffer, timeout.Token)).MessageType);
        Task<WebSocketReceiveResult> closed = socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(HttpStatusCode.NoContent, (await a.SendAsync(HttpMethod.Post, "/game/logout", session)).StatusCode);
        WebSocketReceiveResult result = await closed;
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, result.CloseStatus);
    }
}
