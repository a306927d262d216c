using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Support;
using StackExchange.Redis;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>The same health check on a real local Redis Cluster (3 primaries + 3 replicas).</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class WebHealthCheckClusterTests(RedisCluster cluster)
{
    [Fact]
    public async Task HealthCheckIsHealthyOnRedisClusterAndLeavesNoProbeRecord()
    {
        string prefix = TestNodes.NewPrefix();
        await using WebHealthApp app = await WebHealthApp.StartAsync(() => RedisSessionStorage.Connect(new RedisSessionStorageOptions
        {
            Configuration = cluster.Configuration,
            KeyPrefix = prefix,
        }));
        // Many probes: their random keys land on every primary's slots.
        string[] answers = await app.ProbeAsync(16);
        Assert.All(answers, a => Assert.Equal("Healthy", a));
        var left = new List<RedisKey>();
        foreach (IServer primary in cluster.Admin.GetServers().Where(s => !s.IsReplica && s.IsConnected))
        {
            left.AddRange(primary.Keys(0, prefix + "*", 500));
        }

        Assert.Empty(left);
    }
}
