using System;
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

    public RedisSessionStorageTests(RedisServer server) => _server = server;

    [Fact]
    public void WhenAbsentIsExpectedWriteSucceedsOnlyWithoutALiveRecord()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        Assert.True(storage.TryWrite("k", new byte[] { 1 }, null, SessionStorage.Absent, 10));
        Assert.False(storage.TryWrite("k", new byte[] { 2 }, null, SessionStorage.Absent, 11));
        StoredRecord record = Assert.NotNull(storage.Read("k"));
        Assert.Equal(new byte[] { 1 }, record.Value);
        Assert.Equal(10, record.Version);
    }

    [Fact]
    public void WhenVersionDiffersWriteFailsAndLeavesTheRecord()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        // Versions beyond 2^53 must compare exactly (Lua numbers are doubles).
        const long v1 = 638_000_000_000_000_001;
        Assert.True(storage.TryWrite("k", new byte[] { 1 }, null, SessionStorage.Absent, v1));
        Assert.False(storage.TryWrite("k", new byte[] { 2 }, null, v1 + 1, v1 + 2));
        Assert.False(storage.TryWrite("k", new byte[] { 2 }, null, v1 - 1, v1 + 2));
        Assert.True(storage.TryWrite("k", new byte[] { 3 }, null, v1, v1 + 1));
        StoredRecord record = Assert.NotNull(storage.Read("k"));
        Assert.Equal(new byte[] { 3 }, record.Value);
        Assert.Equal(v1 + 1, record.Version);
    }

    [Fact]
    public void WhenAnyVersionIsExpectedWriteIsUnconditional()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        Assert.True(storage.TryWrite("k", new byte[] { 1 }, null, SessionStorage.AnyVersion, 5));
        Assert.True(storage.TryWrite("k", new byte[] { 2 }, null, SessionStorage.AnyVersion, 6));
        Assert.Equal(6, storage.Read("k")!.Value.Version);
    }

    [Fact]
    public void WriteSetsNativeTtlAndReadReturnsTheExpiry()
    {
        string prefix = TestNodes.NewPrefix();
        using RedisSessionStorage storage = TestNodes.Storage(_server, prefix);
        DateTimeOffset at = DateTimeOffset.UtcNow.AddSeconds(30);
        Assert.True(storage.TryWrite("k", new byte[] { 1 }, at, SessionStorage.Absent, 1));
        TimeSpan? ttl = _server.Db.KeyTimeToLive(prefix + "k");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value.TotalMilliseconds, 28_000, 30_000);
        Assert.Equal(at.ToUnixTimeMilliseconds(), storage.Read("k")!.Value.ExpiresAt!.Value.ToUnixTimeMilliseconds());

        // Rewriting without expiry removes the TTL.
        Assert.True(storage.TryWrite("k", new byte[] { 2 }, null, 1, 2));
        Assert.Null(_server.Db.KeyTimeToLive(prefix + "k"));
        Assert.Null(storage.Read("k")!.Value.ExpiresAt);
    }

    [Fact]
    public void WhenExpiryPassesRedisRemovesTheRecord()
    {
        string prefix = TestNodes.NewPrefix();
        using RedisSessionStorage storage = TestNodes.Storage(_server, prefix);
        Assert.True(storage.TryWrite("k", new byte[] { 1 }, DateTimeOffset.UtcNow.AddMilliseconds(300), SessionStorage.Absent, 1));
        Assert.NotNull(storage.Read("k"));
        Thread.Sleep(600);
        Assert.Null(storage.Read("k"));
        Assert.False(_server.Db.KeyExists(prefix + "k"));
        // Gone means absent: a create-only write now succeeds.
        Assert.True(storage.TryWrite("k", new byte[] { 2 }, null, SessionStorage.Absent, 2));
    }

    [Fact]
    public void DeleteReportsWhetherARecordExisted()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        Assert.False(storage.Delete("k"));
        storage.TryWrite("k", new byte[] { 1 }, null, SessionStorage.Absent, 1);
        Assert.True(storage.Delete("k"));
        Assert.Null(storage.Read("k"));
        Assert.False(storage.Delete("k"));
    }

    [Fact]
    public async System.Threading.Tasks.Task AsyncTwinsBehaveLikeTheSyncOnes()
    {
        using RedisSessionStorage storage = TestNodes.Storage(_server, TestNodes.NewPrefix());
        Assert.True(await storage.TryWriteAsync("k", new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.False(await storage.TryWriteAsync("k", new byte[] { 2 }, null, SessionStorage.Absent, 2));
        Assert.Equal(new byte[] { 1 }, (await storage.ReadAsync("k"))!.Value.Value);
        Assert.True(await storage.DeleteAsync("k"));
        Assert.Null(await storage.ReadAsync("k"));
        await storage.TryWriteAsync("a", new byte[] { 1 }, null, SessionStorage.Absent, 1);
        await storage.ClearAsync();
        Assert.Null(await storage.ReadAsync("a"));
        await storage.FlushAsync();
    }

    [Fact]
    public void OtherNodesReceiveInvalidationsAndTheWriterIgnoresItsOwn()
    {
        string prefix = TestNodes.NewPrefix();
        using RedisSessionStorage a = TestNodes.Storage(_server, prefix);
        using RedisSessionStorage b = TestNodes.Storage(_server, prefix);
        a.TryWrite("k", new byte[] { 1 }, null, SessionStorage.Absent, 1);
        a.TryWrite("k", new byte[] { 2 }, null, 1, 2);
        a.Delete("k");
        a.Clear();
        WaitUntil(() => b.InvalidationsReceived == 4, TimeSpan.FromSeconds(2));
        Assert.Equal(4, b.InvalidationsReceived);
        Assert.Equal(0, a.InvalidationsReceived);
        Assert.Equal(1, b.FullInvalidations);
    }

    [Fact]
    public void WhenRedisIsUnreachableConstructionThrowsSessionStorageException()
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SessionStorageException>(() => new RedisSessionStorage(new RedisSessionStorageOptions
        {
            Configuration = "127.0.0.1:1",
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
            OperationTimeout = TimeSpan.FromMilliseconds(500),
        }));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.True(e.InnerException is RedisException or TimeoutException, e.ToString());
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => new RedisSessionStorage(new RedisSessionStorageOptions()));
        Assert.Throws<ArgumentException>(() => new RedisSessionStorage(new RedisSessionStorageOptions { Configuration = _server.Endpoint, KeyPrefix = "" }));
        Assert.Throws<ArgumentException>(() => new RedisSessionStorage(new RedisSessionStorageOptions { Configuration = _server.Endpoint, Multiplexer = _server.Admin }));
    }

    [Fact]
    public void SharedMultiplexerIsNotDisposedWithTheStorage()
    {
        string prefix = TestNodes.NewPrefix();
        var storage = new RedisSessionStorage(new RedisSessionStorageOptions { Multiplexer = _server.Admin, KeyPrefix = prefix });
        Assert.Equal("redis", storage.Kind);
        Assert.True(storage.RaisesInvalidations);
        Assert.Equal(prefix + "invalidate", storage.ChannelName);
        storage.Dispose();
        Assert.True(_server.Admin.IsConnected);
        Assert.True(_server.Db.Ping() >= TimeSpan.Zero);
    }

    internal static void WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < timeout) Thread.Sleep(5);
    }
}
