using System;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Support;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>
/// The web package's <c>AddSessionStorage()</c> health check over real Redis: served by a real Kestrel on loopback and
/// read with HttpClient, as a load balancer would. (Memory and file storage: SessionConnector.AspNetCore.Tests.)
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class WebHealthCheckTests(RedisServer server)
{
    [Fact]
    public async Task HealthCheckIsHealthyOnRedisAndLeavesNoProbeRecord()
    {
        string prefix = TestNodes.NewPrefix();
        await using WebHealthApp app = await WebHealthApp.StartAsync(() => TestNodes.Storage(server, prefix));
        string[] answers = await app.ProbeAsync(8);
        Assert.All(answers, a => Assert.Equal("Healthy", a));
        Assert.Empty(server.Server.Keys(0, prefix + "*", 500));
    }

    [Fact]
    public async Task HealthCheckIsUnhealthyWhileRedisIsDown()
    {
        await using WebHealthApp app = await WebHealthApp.StartAsync(() => TestNodes.Storage(server, TestNodes.NewPrefix(), operationTimeout: TimeSpan.FromSeconds(1)));
        Assert.Equal("Healthy", Assert.Single(await app.ProbeAsync(1)));
        server.Stop(save: false);
        try
        {
            Assert.Equal("Unhealthy", Assert.Single(await app.ProbeAsync(1)));
        }
        finally
        {
            server.Start();
        }
    }
}
