using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using SessionConnector.Postgres.Tests.Support;
using SessionConnector.Storage;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Postgres.Tests;

/// <summary>The storage contract on PostgreSQL (<see cref="SharedStorageContractTests"/>), then what only PostgreSQL has.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSessionStorageTests : SharedStorageContractTests
{
    private readonly PostgresServer _server;

    public PostgresSessionStorageTests(PostgresServer server, ITestOutputHelper output)
        : base(output) => _server = server;

    // Expired rows stay, invisible, until the sweep deletes them.
    protected override bool ExpiredRecordsStayUntilSwept => true;

    // Each sequence gets a fresh table and keeps a listening connection until the end: few sequences, within the pool.
    protected override (int Normal, int Long) ModelIterations => (40, 1_000);

    // NOTIFY is delivered after the commit, over the listener's own connection.
    protected override TimeSpan PropagationBound => TimeSpan.FromMilliseconds(500);

    protected override string NewStore() => TestNodes.NewTable();

    protected override SessionStorage Open(string store) => TestNodes.Storage(_server, store);

    // One shared data source for the many sequences; a fresh table (a fresh, empty store) for each.
    protected override SessionStorage CreateModelStorage(FakeTimeProvider clock)
    {
        var storage = PostgresSessionStorage.Connect(new PostgresSessionStorageOptions
        {
            DataSource = _server.Admin, TableName = TestNodes.NewTable(), SweepInterval = Timeout.InfiniteTimeSpan,
        });
        storage.EnsureSchema();
        return storage;
    }

    protected override (long InvalidationsReceived, long FullInvalidations) InvalidationCounts(SessionStorage storage) =>
        (((PostgresSessionStorage)storage).InvalidationsReceived, ((PostgresSessionStorage)storage).FullInvalidations);

    // The expiry is data: a column in Unix milliseconds, NULL for none.
    protected override void AssertStoredExpiry(SessionStorage storage, string key, DateTimeOffset? expiresAt)
    {
        string table = ((PostgresSessionStorage)storage).TableName;
        if (expiresAt is { } at) Assert.Equal(at.ToUnixTimeMilliseconds(), TestNodes.Scalar(_server, $"SELECT expires_at FROM {table} WHERE key = '{key}'"));
        else Assert.Equal(1, TestNodes.Scalar(_server, $"SELECT count(*) FROM {table} WHERE key = '{key}' AND expires_at IS NULL"));
    }

    // Still a row (the sweep has not run), yet no read or write treats it as live.
    protected override void AssertExpiredRecordState(SessionStorage storage, string key) =>
        Assert.Equal(1, TestNodes.Scalar(_server, $"SELECT count(*) FROM {((PostgresSessionStorage)storage).TableName} WHERE key = '{key}'"));

    [Fact]
    public void ClearRemovesEveryRowOfThisTableAndNoneOfAnother()
    {
        string mine = TestNodes.NewTable();
        string theirs = TestNodes.NewTable();
        using PostgresSessionStorage storage = TestNodes.Storage(_server, mine);
        using PostgresSessionStorage other = TestNodes.Storage(_server, theirs);
        // More than one clear batch (1 000 rows).
        InsertRows(mine, 2_500, expired: false);
        other.TryWrite(K, new byte[] { 9 }, null, SessionStorage.Absent, 1);
        storage.Clear();
        Assert.Equal(0, TestNodes.Scalar(_server, $"SELECT count(*) FROM {mine}"));
        Assert.Equal(new byte[] { 9 }, other.Read(K)!.Value.Value);
    }

    [Fact]
    public async Task EnumerateWalksEveryRowOnceInKeysetPagesExpiredIncluded()
    {
        string table = TestNodes.NewTable();
        await using PostgresSessionStorage storage = TestNodes.Storage(_server, table);
        InsertRows(table, 500, expired: false);
        InsertRows(table, 120, expired: true, prefix: 'x');
        var seen = new List<string>();
        await foreach (KeyValuePair<string, StoredRecord> entry in storage.EnumerateAsync(batchSize: 64))
        {
            seen.Add(entry.Key);
            Assert.True(entry.Value.Version > 0);
        }

        Assert.Equal(620, seen.Count);
        Assert.Equal(620, seen.Distinct().Count());
        Assert.Equal(seen.OrderBy(k => k, StringComparer.Ordinal), seen);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => { await foreach (var _ in storage.EnumerateAsync(0)) { } });
    }

    [Fact]
    public void WhenTheTableIsMissingOperationsThrowSessionStorageExceptionNamingTheFix()
    {
        PostgresSessionStorageOptions options = TestNodes.Options(_server, TestNodes.NewTable());
        using PostgresSessionStorage storage = PostgresSessionStorage.Connect(options);
        var e = Assert.Throws<SessionStorageException>(() => storage.Read(K));
        Assert.Contains("EnsureSchemaAsync", e.Message, StringComparison.Ordinal);
        Assert.IsType<PostgresException>(e.InnerException);
        Assert.Throws<SessionStorageException>(() => storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        storage.EnsureSchema();
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1));
    }

    [Fact]
    public async Task EnsureSchemaIsIdempotentAndSafeFromSeveralNodesAtOnce()
    {
        string table = TestNodes.NewTable();
        PostgresSessionStorage[] nodes = Enumerable.Range(0, 4).Select(_ => PostgresSessionStorage.Connect(TestNodes.Options(_server, table))).ToArray();
        try
        {
            await Task.WhenAll(nodes.Select(n => Task.Run(() => n.EnsureSchemaAsync())));
            await nodes[0].EnsureSchemaAsync();
            Assert.Equal(1, TestNodes.Scalar(_server, $"SELECT count(*) FROM pg_indexes WHERE tablename = '{table}' AND indexname = '{table}_expiry'"));
            Assert.Contains("CREATE TABLE IF NOT EXISTS \"public\".\"" + table + "\"", nodes[0].SchemaScript, StringComparison.Ordinal);
            Assert.True(nodes[1].TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        }
        finally
        {
            foreach (PostgresSessionStorage n in nodes) await n.DisposeAsync();
        }
    }

    [Fact]
    public void WhenTheServerIsUnreachableConnectThrowsSessionStorageException()
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SessionStorageException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions
        {
            ConnectionString = "Host=127.0.0.1;Port=1;Username=postgres;Timeout=2",
            TableName = "sessions",
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
        }));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.True(e.InnerException is NpgsqlException or OperationCanceledException or TimeoutException, e.ToString());
    }

    [Fact]
    public void OptionsAreValidated()
    {
        string cs = _server.ConnectionString;
        Assert.Throws<ArgumentException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { TableName = "s" }));
        Assert.Throws<ArgumentException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { ConnectionString = cs }));
        Assert.Throws<ArgumentException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { ConnectionString = cs, DataSource = _server.Admin, TableName = "s" }));
        Assert.Throws<ArgumentException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { ConnectionString = cs, TableName = "Sessions" }));
        Assert.Throws<ArgumentException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { ConnectionString = cs, TableName = "s\"; DROP TABLE x; --" }));
        Assert.Throws<ArgumentException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { ConnectionString = cs, TableName = "s", Schema = "my schema" }));
        Assert.Throws<ArgumentException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { ConnectionString = cs, TableName = new string('s', 60) }));
        Assert.Throws<ArgumentException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { ConnectionString = "Nonsense=1", TableName = "s" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { ConnectionString = cs, TableName = "s", SweepBatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { ConnectionString = cs, TableName = "s", SweepInterval = TimeSpan.Zero }));
    }

    [Fact]
    public void LocationNamesServerDatabaseAndTableAndASharedDataSourceIsNotDisposed()
    {
        string table = TestNodes.NewTable();
        using var a = PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { DataSource = _server.Admin, TableName = table, SweepInterval = Timeout.InfiniteTimeSpan });
        using var same = TestNodes.Storage(_server, table);
        using var other = TestNodes.Storage(_server, TestNodes.NewTable());
        Assert.Equal($"postgres://127.0.0.1:{_server.Port}/postgres/public.{table}", a.Location);
        Assert.Equal(a.Location, same.Location);
        Assert.NotEqual(a.Location, other.Location);
        Assert.Equal("postgres", a.Kind);
        Assert.True(a.RaisesInvalidations);
        Assert.Equal("public." + table, a.NotifyChannel);
        a.Dispose();
        Assert.Equal(1, TestNodes.Scalar(_server, "SELECT 1"));
    }

    /// <summary>Inserts rows with raw SQL (keys are 43 characters, unique per call through <paramref name="prefix"/>).</summary>
    internal void InsertRows(string table, int count, bool expired, char prefix = 'r')
    {
        string expiry = expired ? "(extract(epoch from now()) * 1000)::bigint - 1000" : "NULL";
        using NpgsqlCommand command = _server.Admin.CreateCommand(
            $"INSERT INTO {table} (key, version, expires_at, value) SELECT '{prefix}' || lpad(g::text, 42, '0'), g, {expiry}, '\\x01'::bytea FROM generate_series(1, {count}) g");
        command.ExecuteNonQuery();
    }
}
