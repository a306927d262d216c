using System;
using Microsoft.Extensions.Time.Testing;
using SessionConnector.Redis.Tests.Support;
using SessionConnector.Storage;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Redis.Tests;

/// <summary>
/// The storage contract on a real Redis Cluster (<see cref="SharedStorageContractTests"/>): records, the principal
/// generation record and sessions in any slots. Redirects and failover have their own tests (ClusterTests).
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterStorageTests : SharedStorageContractTests
{
    private readonly RedisCluster _cluster;

    public RedisClusterStorageTests(RedisCluster cluster, ITestOutputHelper output)
        : base(output)
    {
        _cluster = cluster;
        _cluster.WaitHealthy(TimeSpan.FromSeconds(30));
    }

    protected override bool ExpiredRecordsStayUntilSwept => false;

    protected override (int Normal, int Long) ModelIterations => (150, 5_000);

    protected override TimeSpan PropagationBound => TimeSpan.FromMilliseconds(100);

    protected override string NewStore() => TestNodes.NewPrefix();

    protected override SessionStorage Open(string store) =>
        RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = _cluster.Configuration, KeyPrefix = store });

    // One shared connection for the many short sequences; a fresh key prefix (a fresh, empty store) for each.
    protected override SessionStorage CreateModelStorage(FakeTimeProvider clock) =>
        RedisSessionStorage.Connect(new RedisSessionStorageOptions { Multiplexer = _cluster.Admin, KeyPrefix = TestNodes.NewPrefix() });

    protected override (long InvalidationsReceived, long FullInvalidations) InvalidationCounts(SessionStorage storage) =>
        (((RedisSessionStorage)storage).InvalidationsReceived, ((RedisSessionStorage)storage).FullInvalidations);
}
