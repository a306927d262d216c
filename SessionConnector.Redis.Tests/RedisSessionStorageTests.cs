using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Microsoft.Extensions.Time.Testing;
using SessionConnector.Redis.Tests.Support;
using SessionConnector.Storage;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Redis.Tests;

/// <summary>The storage contract on one Redis server (<see cref="SharedStorageContractTests"/>), then what only Redis has.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisSessionStorageTests : SharedStorageContractTests
{
    private readonly RedisServer _server;

    public RedisSessionStorageTests(RedisServer server, ITestOutputHelper output)
        : base(output) => _server = server;

    protected override bool ExpiredRecordsStayUntilSwept => false;

    protected override (int Normal, int Long) ModelIterations => (150, 5_000);

    protected override TimeSpan PropagationBound => TimeSpan.FromMilliseconds(100);

    protected override string NewStore() => TestNodes.NewPrefix();

    protected override SessionStorage Open(string store) => TestNodes.Storage(_server, store);

    // One shared connection for the many short sequences; a fresh key prefix (a fresh, empty store) for each.
    protected override SessionStorage CreateModelStorage(FakeTimeProvider clock) =>
        RedisSessionStorage.Connect(new RedisSessionStorageOptions { Multiplexer = _server.Admin, KeyPrefix = TestNodes.NewPrefix() });

    protected override (long InvalidationsReceived, long FullInvalidations) InvalidationCounts(SessionStorage storage) =>
        (((RedisSessionStorage)storage).InvalidationsReceived, ((RedisSessionStorage)storage).FullInvalidations);

    // Redis keeps the expiry as the key's native TTL (the server removes it), none when the record has no expiry.
    protected override void AssertStoredExpiry(SessionStorage storage, string key, DateTimeOffset? expiresAt)
    {
        // Measured before the read: the TTL the server reports can only be shorter (same machine clock), by the read's time.
        double left = ((expiresAt ?? DateTimeOffset.UtcNow) - DateTimeOffset.UtcNow).TotalMilliseconds;
        TimeSpan? ttl = _server.Db.KeyTimeToLive(((RedisSessionStorage)storage).KeyPrefix + key);
        if (expiresAt is null)
        {
            Assert.Null(ttl);
            return;
        }

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value.TotalMilliseconds, left - 2_000, left + 1);
    }

    // Redis removed the key itself at expiry.
    protected override void AssertExpiredRecordState(SessionStorage storage, string key) =>
        Assert.False(_server.Db.KeyExists(((RedisSessionStorage)storage).KeyPrefix + key));

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
        Poll.Until(() => b.InvalidationsReceived == 2 && b.FullInvalidations == 1, TimeSpan.FromSeconds(2));
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
}
