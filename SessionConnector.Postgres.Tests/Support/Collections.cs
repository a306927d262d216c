using Xunit;

// Tests restart the server and measure propagation delays; running them one at a time keeps that honest on 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace SessionConnector.Postgres.Tests.Support;

/// <summary>Functional tests share one server; each test uses its own table.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
