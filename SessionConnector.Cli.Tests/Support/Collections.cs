using Xunit;

namespace SessionConnector.Cli.Tests.Support;

/// <summary>Tests that start several processes run one at a time: the machine has few cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessTests
{
    public const string Name = "processes";
}

/// <summary>One real redis-server for the Redis tests (each test uses its own key prefix).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisTests : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";
}

/// <summary>One real PostgreSQL server for the Postgres tests (each test uses its own table).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresTests : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
