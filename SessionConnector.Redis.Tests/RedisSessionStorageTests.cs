using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using SessionConnector.Redis.Tests.Infrastructure;
using SessionConnector.Storage;
using StackExchange.Redis;
using Xunit;

namespace SessionConnector.Redis.Tests;

[Collection(RedisCollection.Name)]
public sealed class RedisSessionStorageTests
{
    private readonly RedisServer _server;

    // Storage keys have the connector's shape: 43 base64url characters.
    private static readonly string K = new('k', 43);
    private static readonly string A = new('a', 43);

    public RedisSessionStorageTests(RedisServer server) => _server = server;

    [Fact]
    public void WhenAbsentIsExpectedWriteSucceedsOnlyWithoutALiveRecord()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 10));
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.Absent, 11));
        StoredRecord record = Assert.NotNull(storage.Read(K));
        Assert.Equal(new byte[] { 1 }, record.Value);
        Assert.Equal(10, record.Version);
    }

    [Fact]
    public void WhenVersionDiffersWriteFailsAndLeavesTheRecord()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        // Versions beyond 2^53 must compare exactly (Lua numbers are doubles).
        const long v1 = 638_000_000_000_000_001;
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, v1));
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, v1 + 1, v1 + 2));
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, v1 - 1, v1 + 2));
        Assert.True(storage.TryWrite(K, new byte[] { 3 }, null, v1, v1 + 1));
        StoredRecord record = Assert.NotNull(storage.Read(K));
        Assert.Equal(new byte[] { 3 }, record.Value);
        Assert.Equal(v1 + 1, record.Version);
    }

    [Fact]
    public void WhenAnyVersionIsExpectedWriteIsUnconditional()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.AnyVersion, 5));
        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.AnyVersion, 6));
        Assert.Equal(6, storage.Read(K)!.Value.Version);
    }

    [Fact]
    public void WriteSetsNativeTtlAndReadReturnsTheExpiry()
    {
        string prefix = TestNodes.NewPrefix();
        using RedisSessionStorage storage = TestNodes.Storage(_server, prefix);
        DateTimeOffset at = DateTimeOffset.UtcNow.AddSeconds(30);
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, at, SessionStorage.Absent, 1));
        TimeSpan? ttl = _server.Db.KeyTimeToLive(prefix + K);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value.TotalMilliseconds, 28_000, 30_000);
        Assert.Equal(at.ToUnixTimeMilliseconds(), storage.Read(K)!.Value.ExpiresAt!.Value.ToUnixTimeMilliseconds());

        // Rewriting without expiry removes the TTL.
        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, 1, 2));
        Assert.Null(_server.Db.KeyTimeToLive(prefix + K));
        Assert.Null(storage.Read(K)!.Value.ExpiresAt);
    }

    [Fact]
    public void WhenExpiryPassesRedisRemovesTheRecord()
    {
        string prefix = TestNodes.NewPrefix();
        using RedisSessionStorage storage = TestNodes.Storage(_server, prefix);
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, DateTimeOffset.UtcNow.AddMilliseconds(300), SessionStorage.Absent, 1));
        Assert.NotNull(storage.Read(K));
        Thread.Sleep(600);
        Assert.Null(storage.Read(K));
        Assert.False(_server.Db.KeyExists(prefix + K));
        // Gone means absent: a create-only write now succeeds.
        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.Absent, 2));
    }

    [Fact]
    public void DeleteReportsWhetherARecordExisted()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        Assert.False(storage.Delete(K));
        storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        Assert.True(storage.Delete(K));
        Assert.Null(storage.Read(K));
        Assert.False(storage.Delete(K));
    }

    [Fact]
    public async System.Threading.Tasks.Task AsyncTwinsBehaveLikeTheSyncOnes()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        Assert.True(await storage.TryWriteAsync(K, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.False(await storage.TryWriteAsync(K, new byte[] { 2 }, null, SessionStorage.Absent, 2));
        Assert.Equal(new byte[] { 1 }, (await storage.ReadAsync(K))!.Value.Value);
        Assert.True(await storage.DeleteAsync(K));
        Assert.Null(await storage.ReadAsync(K));
        await storage.TryWriteAsync(A, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        await storage.ClearAsync();
        Assert.Null(await storage.ReadAsync(A));
        await storage.FlushAsync();
    }

    [Fact]
    public void OtherNodesReceiveInvalidationsAndTheWriterIgnoresItsOwn()
    {
        string prefix = TestNodes.NewPrefix();
        using RedisSessionStorage a = TestNodes.Storage(_server, prefix);
        using RedisSessionStorage b = TestNodes.Storage(_server, prefix);
        a.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        a.TryWrite(K, new byte[] { 2 }, null, 1, 2);
        a.Delete(K);
        a.Clear();
        WaitUntil(() => b.InvalidationsReceived == 4, TimeSpan.FromSeconds(2));
        Assert.Equal(4, b.InvalidationsReceived);
        Assert.Equal(0, a.InvalidationsReceived);
        // At least the clear's (a subscription connecting late under load also empties the cache, by design).
        Assert.True(b.FullInvalidations >= 1);
    }

    [Fact]
    public void WhenRedisIsUnreachableConstructionThrowsSessionStorageException()
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SessionStorageException>(() => RedisSessionStorage.Connect(new RedisSessionStorageOptions
        {
            Configuration = "127.0.0.1:1",
            KeyPrefix = TestNodes.NewPrefix(),
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
            OperationTimeout = TimeSpan.FromMilliseconds(500),
        }));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.True(e.InnerException is RedisException or TimeoutException, e.ToString());
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => RedisSessionStorage.Connect(new RedisSessionStorageOptions { KeyPrefix = "p:" }));
        Assert.Throws<ArgumentException>(() => RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = _server.Endpoint, KeyPrefix = "" }));
        Assert.Throws<ArgumentException>(() => RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = _server.Endpoint, Multiplexer = _server.Admin, KeyPrefix = "p:" }));
        Assert.Throws<ArgumentException>(() => RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = _server.Endpoint, KeyPrefix = "{app}:" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = _server.Endpoint, KeyPrefix = "p:", WaitForReplicas = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => RedisSessionStorage.Connect(new RedisSessionStorageOptions
        {
            Configuration = _server.Endpoint, KeyPrefix = "p:", WaitForReplicas = 1, ReplicaWaitTimeout = TimeSpan.FromSeconds(2), OperationTimeout = TimeSpan.FromSeconds(2),
        }));
    }

    [Fact]
    public void LocationNamesTheServerDatabaseAndPrefixSoConfigureCanTellTwoStoresApart()
    {
        string prefix = TestNodes.NewPrefix();
        using var a = RedisSessionStorage.Connect(new RedisSessionStorageOptions { Multiplexer = _server.Admin, KeyPrefix = prefix });
        using var same = RedisSessionStorage.Connect(new RedisSessionStorageOptions { Multiplexer = _server.Admin, KeyPrefix = prefix });
        using var other = RedisSessionStorage.Connect(new RedisSessionStorageOptions { Multiplexer = _server.Admin, KeyPrefix = TestNodes.NewPrefix() });
        using var otherDb = RedisSessionStorage.Connect(new RedisSessionStorageOptions { Multiplexer = _server.Admin, KeyPrefix = prefix, Database = 3 });

        Assert.Equal("redis://" + _server.Endpoint + "/0/" + prefix, a.Location);
        Assert.Equal(a.Location, same.Location);
        Assert.NotEqual(a.Location, other.Location);
        Assert.NotEqual(a.Location, otherDb.Location);
        Assert.DoesNotContain("password", a.Location, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void SharedMultiplexerIsNotDisposedWithTheStorage()
    {
        string prefix = TestNodes.NewPrefix();
        var storage = RedisSessionStorage.Connect(new RedisSessionStorageOptions { Multiplexer = _server.Admin, KeyPrefix = prefix });
        Assert.Equal("redis", storage.Kind);
        Assert.True(storage.RaisesInvalidations);
        Assert.Equal(prefix + "invalidate", storage.ChannelName);
        storage.Dispose();
        Assert.True(_server.Admin.IsConnected);
        Assert.True(_server.Db.Ping() >= TimeSpan.Zero);
    }

    [Fact]
    public void KeysThatAreNotStorageKeysAreRefused()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        Assert.Throws<ArgumentException>(() => storage.Read("k"));
        Assert.Throws<ArgumentException>(() => storage.TryWrite("admin:" + K, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.Throws<ArgumentException>(() => storage.Delete(K[..42] + "*"));
    }

    [Fact]
    public void CountersAreOnTheSessionConnectorMeter()
    {
        string prefix = TestNodes.NewPrefix();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "SessionConnector" && instrument.Name.StartsWith("sessionconnector.redis.", StringComparison.Ordinal)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "sessionconnector.redis.key_prefix" && (string?)tag.Value == prefix) seen.AddOrUpdate(instrument.Name, value, (_, v) => v + value);
            }
        });
        listener.Start();
        using RedisSessionStorage a = TestNodes.Storage(_server, prefix);
        using RedisSessionStorage b = TestNodes.Storage(_server, prefix);
        a.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        a.Clear();
        WaitUntil(() => b.InvalidationsReceived == 2 && b.FullInvalidations == 1, TimeSpan.FromSeconds(2));
        using RedisSessionStorage waiting = RedisSessionStorage.Connect(new RedisSessionStorageOptions
        {
            // Its own channel: its write (applied, then unconfirmed) must not reach a and b as a third invalidation.
            Configuration = _server.Endpoint, KeyPrefix = prefix, InvalidationChannel = prefix + "waiting", WaitForReplicas = 1, ReplicaWaitTimeout = TimeSpan.FromMilliseconds(50),
        });
        // This server has no replica, so WAIT confirms nothing: the write is applied but not acknowledged.
        var e = Assert.Throws<SessionStorageException>(() => waiting.TryWrite(A, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.Contains("0 of 1 replicas", e.Message, StringComparison.Ordinal);

        Assert.Equal(2, seen.GetValueOrDefault("sessionconnector.redis.invalidations.received"));
        Assert.True(seen.GetValueOrDefault("sessionconnector.redis.cache.clears") >= 1);
        Assert.Equal(1, seen.GetValueOrDefault("sessionconnector.redis.replication.unconfirmed"));
        Assert.Equal(1, seen.GetValueOrDefault("sessionconnector.redis.failures"));
    }

    internal static void WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < timeout) Thread.Sleep(5);
    }
}
