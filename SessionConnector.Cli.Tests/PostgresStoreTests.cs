using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Threading;
using SessionConnector.Cli.Tests.Support;
using SessionConnector.Postgres;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.Cli.Tests;

/// <summary>sessionctl on a real PostgreSQL table, the connection string passed in the environment only.</summary>
[Collection(PostgresTests.Name)]
public sealed class PostgresStoreTests(PostgresServer postgres)
{
    private readonly string _table = "cli_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();

    [Fact]
    public void StatsAndPurgeWorkOnAPostgresTableAndTouchNoOtherTable()
    {
        using PostgresSessionStorage storage = Storage(_table);
        using PostgresSessionStorage other = Storage(_table + "_other");
        string live = new('l', 43), expired = new('x', 43);
        Assert.True(storage.TryWrite(live, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.True(storage.TryWrite(expired, new byte[] { 1 }, DateTimeOffset.UtcNow.AddMinutes(-1), SessionStorage.AnyVersion, 2));
        Assert.True(other.TryWrite(expired, new byte[] { 1 }, DateTimeOffset.UtcNow.AddMinutes(-1), SessionStorage.AnyVersion, 2));

        CliResult stats = Run("stats", "--json", "--postgres", "public." + _table);
        Assert.True(stats.ExitCode == 0, stats.ToString());
        Assert.Equal(2, stats.Json.GetProperty("records").GetInt64());

        CliResult purge = Run("purge", "--json", "--postgres", _table);
        Assert.True(purge.ExitCode == 0, purge.ToString());
        Assert.Equal(1, Run("stats", "--json", "--postgres", _table).Json.GetProperty("records").GetInt64());
        Assert.NotNull(storage.Read(live));
        // The other application's expired row is still there for its own purge.
        Assert.Equal(1, Run("stats", "--json", "--postgres", _table + "_other").Json.GetProperty("records").GetInt64());
    }

    [Fact]
    public void WithoutTheEnvironmentVariableOrWithABadNamePostgresIsAUsageError()
    {
        CliResult missing = Sessionctl.Wait(ChildProcess.StartDotnet(
            new Dictionary<string, string?> { ["SESSIONCONNECTOR_POSTGRES"] = null }, [Sessionctl.Assembly, "stats", "--postgres", _table]));
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("SESSIONCONNECTOR_POSTGRES", missing.StdErr, StringComparison.Ordinal);

        CliResult bad = Run("stats", "--postgres", "Bad-Name");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("--postgres Bad-Name", bad.StdErr, StringComparison.Ordinal);
    }

    private PostgresSessionStorage Storage(string table)
    {
        PostgresSessionStorage storage = PostgresSessionStorage.Connect(new PostgresSessionStorageOptions
        {
            ConnectionString = postgres.ConnectionString, TableName = table, SweepInterval = Timeout.InfiniteTimeSpan,
        });
        storage.EnsureSchema();
        return storage;
    }

    private CliResult Run(params string[] args) => Sessionctl.Wait(ChildProcess.StartDotnet(
        new Dictionary<string, string?> { ["SESSIONCONNECTOR_POSTGRES"] = postgres.ConnectionString, ["SESSIONCONNECTOR_KEYS"] = null },
        [Sessionctl.Assembly, .. args]));
}
