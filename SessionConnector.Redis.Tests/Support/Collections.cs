using Xunit;

// Tests restart and disconnect the server and measure propagation delays; running them one at a time keeps that honest on 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace SessionConnector.Redis.Tests.Support;

/// <summary>Functional tests share one server.</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";
}

/// <summary>Concurrency soak tests get their own server.</summary>
[CollectionDefinition(Name)]
public sealed class RedisSoakCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis-soak";
}

/// <summary>Tests against a real local Redis Cluster (3 primaries + 3 replicas) share one.</summary>
[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisCluster>
{
    public const string Name = "redis-cluster";
}

/// <summary>Fault tests stop, pause and restart their own server.</summary>
[CollectionDefinition(Name)]
public sealed class RedisFaultCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis-faults";
}
