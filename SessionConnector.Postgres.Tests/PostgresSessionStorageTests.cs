using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using SessionConnector.Postgres.Tests.Infrastructure;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.Postgres.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresSessionStorageTests
{
    private readonly PostgresServer _server;

    // Storage keys have the connector's shape: 43 base64url characters.
    private static readonly string K = new('k', 43);
    private static readonly string A = new('a', 43);

    public PostgresSessionStorageTests(PostgresServer server) => _server = server;

    [Fact]
    public void WhenAbsentIsExpectedWriteSucceedsOnlyWithoutALiveRecord()
    {
        using PostgresSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewTable());
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 10));
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.Absent, 11));
        StoredRecord record = Assert.NotNull(storage.Read(K));
        Assert.Equal(new byte[] { 1 }, record.Value);
        Assert.Equal(10, record.Version);
    }

    [Fact]
    public void WhenVersionDiffersWriteFailsAndLeavesTheRecord()
    {
        using PostgresSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewTable());
        // Versions beyond 2^53 compare exactly (bigint, never a double).
        const long v1 = 638_000_000_000_000_001;
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, v1));
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, v1 + 1, v1 + 2));
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, v1 - 1, v1 + 2));
        Assert.True(storage.TryWrite(K, new byte[] { 3 }, null, v1, v1 + 1));
        StoredRecord record = Assert.NotNull(storage.Read(K));
        Assert.Equal(new byte[] { 3 }, record.Value);
        Assert.Equal(v1 + 1, record.Version);
        // A versioned write on a missing record is refused too.
        Assert.False(storage.TryWrite(A, new byte[] { 1 }, null, 5, 6));
        Assert.Null(storage.Read(A));
    }

    [Fact]
    public void WhenAnyVersionIsExpectedWriteIsUnconditional()
    {
        using PostgresSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewTable());
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.AnyVersion, 5));
        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.AnyVersion, 6));
        Assert.Equal(6, storage.Read(K)!.Value.Version);
    }

    [Fact]
    public void WriteStoresTheExpiryAsDataAndReadReturnsIt()
    {
        string table = TestNodes.NewTable();
        using PostgresSessionStorage storage = TestNodes.Storage(_server, table);
        DateTimeOffset at = DateTimeOffset.UtcNow.AddSeconds(30);
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, at, SessionStorage.Absent, 1));
        Assert.Equal(at.ToUnixTimeMilliseconds(), TestNodes.Scalar(_server, $"SELECT expires_at FROM {table} WHERE key = '{K}'"));
        Assert.Equal(at.ToUnixTimeMilliseconds(), storage.Read(K)!.Value.ExpiresAt!.Value.ToUnixTimeMilliseconds());

        // Rewriting without expiry clears it.
        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, 1, 2));
        Assert.Equal(1, TestNodes.Scalar(_server, $"SELECT count(*) FROM {table} WHERE key = '{K}' AND expires_at IS NULL"));
        Assert.Null(storage.Read(K)!.Value.ExpiresAt);
    }

    [Fact]
    public void WhenExpiryPassesTheRecordIsInvisibleAndCountsAsAbsent()
    {
        string table = TestNodes.NewTable();
        using PostgresSessionStorage storage = TestNodes.Storage(_server, table);
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, DateTimeOffset.UtcNow.AddMilliseconds(300), SessionStorage.Absent, 1));
        Assert.NotNull(storage.Read(K));
        Thread.Sleep(600);
        Assert.Null(storage.Read(K));
        // Still a row (the sweep has not run), yet no write may treat it as live.
        Assert.Equal(1, TestNodes.Scalar(_server, $"SELECT count(*) FROM {table}"));
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, 1, 2));
        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.Absent, 2));
        Assert.Equal(2, storage.Read(K)!.Value.Version);
    }

    [Fact]
    public void DeleteReportsWhetherALiveRecordExisted()
    {
        using PostgresSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewTable());
        Assert.False(storage.Delete(K));
        storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        Assert.True(storage.Delete(K));
        Assert.Null(storage.Read(K));
        Assert.False(storage.Delete(K));
        storage.TryWrite(A, new byte[] { 1 }, DateTimeOffset.UtcNow.AddMilliseconds(-10), SessionStorage.AnyVersion, 1);
        Assert.False(storage.Delete(A));
    }

    [Fact]
    public void TryDeleteRemovesOnlyTheExpectedVersion()
    {
        using PostgresSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewTable());
        storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 7);
        Assert.False(storage.TryDelete(K, 6));
        Assert.NotNull(storage.Read(K));
        Assert.True(storage.TryDelete(K, 7));
        Assert.Null(storage.Read(K));
        Assert.False(storage.TryDelete(K, 7));
        // An expired record at the expected version is the one a maintenance walk refused: it goes too.
        storage.TryWrite(A, new byte[] { 1 }, DateTimeOffset.UtcNow.AddMilliseconds(-10), SessionStorage.AnyVersion, 3);
        Assert.True(storage.TryDelete(A, 3));
    }

    [Fact]
    public async Task AsyncTwinsBehaveLikeTheSyncOnes()
    {
        await using PostgresSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewTable());
        Assert.True(await storage.TryWriteAsync(K, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.False(await storage.TryWriteAsync(K, new byte[] { 2 }, null, SessionStorage.Absent, 2));
        Assert.Equal(new byte[] { 1 }, (await storage.ReadAsync(K))!.Value.Value);
        Assert.False(await storage.TryDeleteAsync(K, 2));
        Assert.True(await storage.DeleteAsync(K));
        Assert.Null(await storage.ReadAsync(K));
        await storage.TryWriteAsync(A, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        await storage.ClearAsync();
        Assert.Null(await storage.ReadAsync(A));
        await storage.FlushAsync();
    }

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
    public void OtherNodesReceiveInvalidationsAndTheWriterIgnoresItsOwn()
    {
        string table = TestNodes.NewTable();
        using PostgresSessionStorage a = TestNodes.Storage(_server, table);
        using PostgresSessionStorage b = TestNodes.Storage(_server, table);
        a.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        a.TryWrite(K, new byte[] { 2 }, null, 1, 2);
        Assert.False(a.TryWrite(K, new byte[] { 3 }, null, 1, 3)); // refused: announces nothing
        a.Delete(K);
        a.Clear();
        TestNodes.WaitUntil(() => b.InvalidationsReceived == 4, TimeSpan.FromSeconds(3));
        Assert.Equal(4, b.InvalidationsReceived);
        Assert.Equal(0, a.InvalidationsReceived);
        Assert.True(b.FullInvalidations >= 1);
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

    [Fact]
    public void KeysThatAreNotStorageKeysAreRefused()
    {
        using PostgresSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewTable());
        Assert.Throws<ArgumentException>(() => storage.Read("k"));
        Assert.Throws<ArgumentException>(() => storage.TryWrite("admin:" + K, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.Throws<ArgumentException>(() => storage.Delete(K[..42] + "'"));
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
