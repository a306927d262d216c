using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;
using SessionConnector.Postgres.Tests.Support;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.Postgres.Tests;

[Collection(PostgresCollection.Name)]
public sealed class SweepTests
{
    private readonly PostgresServer _server;

    public SweepTests(PostgresServer server) => _server = server;

    [Fact]
    public async Task SweepDeletesExpiredRowsInBatchesAndLeavesLiveOnes()
    {
        string table = TestNodes.NewTable();
        await using PostgresSessionStorage storage = TestNodes.Storage(_server, table, o => o.SweepBatchSize = 100);
        Insert(table, 1_050, expired: true, prefix: 'x');
        Insert(table, 300, expired: false, prefix: 'l');
        int? swept = await storage.SweepOnceAsync(CancellationToken.None);
        Assert.Equal(1_050, swept);
        Assert.Equal(300, TestNodes.Scalar(_server, $"SELECT count(*) FROM {table}"));
        Assert.Equal(0, TestNodes.Scalar(_server, $"SELECT count(*) FROM {table} WHERE key LIKE 'x%'"));
        Assert.Equal(1_050, storage.RowsSwept);
        Insert(table, 10, expired: true, prefix: 'y');
        Assert.Equal(10, storage.PurgeExpired());
    }

    [Fact]
    public async Task OnlyOneNodeSweepsAtATime()
    {
        string table = TestNodes.NewTable();
        await using PostgresSessionStorage a = TestNodes.Storage(_server, table);
        await using PostgresSessionStorage b = TestNodes.Storage(_server, table);
        Insert(table, 50, expired: true, prefix: 'x');
        // Hold the sweep lock as another node mid-sweep would: b finds it taken and skips the round, deleting nothing.
        long lockKey = a.SweepLockKey;
        await using NpgsqlConnection holder = await _server.Admin.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock($1)", holder))
        {
            take.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lockKey, NpgsqlDbType = NpgsqlDbType.Bigint });
            await take.ExecuteNonQueryAsync();
        }

        Assert.Null(await b.SweepOnceAsync(CancellationToken.None));
        Assert.Null(await a.SweepOnceAsync(CancellationToken.None));
        Assert.Equal(50, TestNodes.Scalar(_server, $"SELECT count(*) FROM {table}"));
        await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", holder))
        {
            release.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lockKey, NpgsqlDbType = NpgsqlDbType.Bigint });
            await release.ExecuteNonQueryAsync();
        }

        Assert.Equal(50, await b.SweepOnceAsync(CancellationToken.None));
        // The lock was released after the round: the other node can take it next.
        Assert.Equal(0, await a.SweepOnceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task BackgroundSweepUnderLoadNeitherBlocksNorDeadlocksLiveTraffic()
    {
        string table = TestNodes.NewTable();
        // Every node sweeps every 50 ms in batches of 200 while writers hammer the same table, including the very
        // rows that are expiring (a write on an expired row races the sweep's delete of it).
        PostgresSessionStorage[] nodes = Enumerable.Range(0, 3)
            .Select(_ => TestNodes.Storage(_server, table, o => { o.SweepInterval = TimeSpan.FromMilliseconds(50); o.SweepBatchSize = 200; }))
            .ToArray();
        try
        {
            Insert(nodes[0].TableName, 20_000, expired: true, prefix: 'x');
            var errors = new ConcurrentQueue<Exception>();
            long writes = 0;
            long slowest = 0;
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
            Task[] writers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
            {
                PostgresSessionStorage node = nodes[w % nodes.Length];
                var random = new Random(w);
                long version = 1;
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        // Half the writes revive an expiring row (Absent: only an expired row may be replaced).
                        string key = random.Next(2) == 0 ? "x" + random.Next(1, 20_001).ToString("D42", System.Globalization.CultureInfo.InvariantCulture) : "w" + w.ToString("D42", System.Globalization.CultureInfo.InvariantCulture);
                        var watch = Stopwatch.StartNew();
                        await node.TryWriteAsync(key, new byte[] { 1 }, DateTimeOffset.UtcNow.AddMinutes(5), SessionStorage.AnyVersion, ++version);
                        long ms = watch.ElapsedMilliseconds;
                        InterlockedMax(ref slowest, ms);
                        Interlocked.Increment(ref writes);
                    }
                    catch (Exception e)
                    {
                        errors.Enqueue(e);
                    }
                }
            })).ToArray();
            await Task.WhenAll(writers);
            Assert.Empty(errors);
            Assert.True(writes > 100, $"only {writes} writes in 4 s");
            // Everything expired is gone (swept or revived); give the last round a moment.
            Poll.Until(() => TestNodes.Scalar(_server, $"SELECT count(*) FROM {table} WHERE expires_at <= (extract(epoch from now()) * 1000)::bigint") == 0, TimeSpan.FromSeconds(10));
            Assert.Equal(0, TestNodes.Scalar(_server, $"SELECT count(*) FROM {table} WHERE expires_at <= (extract(epoch from now()) * 1000)::bigint"));
            Assert.True(nodes.Sum(n => n.RowsSwept) > 0);
            // No request waited anywhere near the statement timeout (5 s) behind the sweep.
            Assert.True(Interlocked.Read(ref slowest) < 2_000, $"slowest write {slowest} ms");
        }
        finally
        {
            foreach (PostgresSessionStorage n in nodes) await n.DisposeAsync();
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current = Interlocked.Read(ref target);
        while (value > current)
        {
            long seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }

    private void Insert(string table, int count, bool expired, char prefix)
    {
        string expiry = expired ? "(extract(epoch from now()) * 1000)::bigint - 1000" : "NULL";
        using NpgsqlCommand command = _server.Admin.CreateCommand(
            $"INSERT INTO {table} (key, version, expires_at, value) SELECT '{prefix}' || lpad(g::text, 42, '0'), g, {expiry}, '\\x01'::bytea FROM generate_series(1, {count}) g");
        command.ExecuteNonQuery();
    }
}
