using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Support;
using StackExchange.Redis;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>Every connector operation over real Redis.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisConnectorTests
{
    private readonly RedisServer _server;

    public RedisConnectorTests(RedisServer server) => _server = server;

    [Fact]
    public void SetGetUpdateDeleteRoundTrip()
    {
        using SessionStorageConnector c = TestNodes.Connector(_server, TestNodes.NewPrefix(), SharedNodes.NewSecret());
        Assert.Equal("redis", c.StorageKind);
        Assert.False(c.UsesMemoryBackend);
        string id = SessionStorageConnector.GenerateId();
        Assert.Null(c.Get<SessionBag>(id));
        Assert.True(c.Set(id, new SessionBag { ["user"] = "ada", ["n"] = 1 }));
        Assert.Equal("ada", c.Get<SessionBag>(id)!["user"]);
        Assert.True(c.Update(id, SharedNodes.Bag("n", 2)));
        Assert.True(c.Update<SessionBag>(id, bag => bag["extra"] = true));
        SessionBag read = c.Get<SessionBag>(id)!;
        Assert.Equal(2L, read["n"]);
        Assert.Equal(true, read["extra"]);
        Assert.Equal("ada", read["user"]);
        Assert.True(c.Delete(id));
        Assert.Null(c.Get<SessionBag>(id));
        Assert.False(c.Delete(id));
        Assert.False(c.Update(id, SharedNodes.Bag("n", 3)));
    }

    [Fact]
    public void AConnectorWithoutCacheReadsWhatAnotherWrote()
    {
        // Proves the data is in Redis, not only in the writer's cache.
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector writer = TestNodes.Connector(_server, prefix, secret);
        string id = SessionStorageConnector.GenerateId();
        writer.Set(id, SharedNodes.Bag("v", "stored"));
        using SessionStorageConnector reader = TestNodes.Connector(_server, prefix, secret, cacheMaxAge: TimeSpan.Zero);
        Assert.Equal("stored", reader.Get<SessionBag>(id)!["v"]);
        // A different key cannot open it (and the record is then treated as missing).
        using SessionStorageConnector stranger = TestNodes.Connector(_server, prefix, SharedNodes.NewSecret(), cacheMaxAge: TimeSpan.Zero);
        Assert.Null(stranger.Get<SessionBag>(id));
    }

    [Fact]
    public async Task AsyncTwinsRoundTrip()
    {
        string prefix = TestNodes.NewPrefix();
        SessionStorageConnector c = TestNodes.Connector(_server, prefix, SharedNodes.NewSecret());
        string id = SessionStorageConnector.GenerateId();
        Assert.True(await c.SetAsync(id, SharedNodes.Bag("n", 1)));
        Assert.Equal(1L, (await c.GetAsync<SessionBag>(id))!["n"]);
        Assert.True(await c.UpdateAsync(id, SharedNodes.Bag("n", 2)));
        Assert.True(await c.UpdateAsync<SessionBag>(id, bag => bag["m"] = "x"));
        (bool found, SessionBag? bag) = await c.TryGetAsync<SessionBag>(id);
        Assert.True(found);
        Assert.Equal(2L, bag!["n"]);
        Assert.Equal("x", bag["m"]);
        await c.SaveAsync();
        Assert.True(await c.DeleteAsync(id));
        Assert.Null(await c.GetAsync<SessionBag>(id));
        await c.SetAsync(id, SharedNodes.Bag("n", 1));
        await c.ClearAsync();
        Assert.Null(await c.GetAsync<SessionBag>(id));
        Assert.Empty(KeysWithPrefix(prefix));
        await c.CloseAsync();
        await Assert.ThrowsAsync<SessionStorageConnectorException>(async () => await c.GetAsync<SessionBag>(id));
    }

    [Fact]
    public void SetWithExpiryUsesNativeTtlAndUpdateKeepsIt()
    {
        string prefix = TestNodes.NewPrefix();
        using SessionStorageConnector c = TestNodes.Connector(_server, prefix, SharedNodes.NewSecret());
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, SharedNodes.Bag("n", 1), TimeSpan.FromSeconds(30));
        RedisKey key = KeysWithPrefix(prefix).Single();
        long pttl = (long)_server.Db.Execute("PTTL", key);
        Assert.InRange(pttl, 28_000, 30_000);
        c.Update(id, SharedNodes.Bag("n", 2));
        pttl = (long)_server.Db.Execute("PTTL", key);
        Assert.InRange(pttl, 27_000, 30_000);

        string forever = SessionStorageConnector.GenerateId();
        c.Set(forever, SharedNodes.Bag("n", 1));
        Assert.Equal(-1L, (long)_server.Db.Execute("PTTL", KeysWithPrefix(prefix).Single(k => k != key)));
    }

    [Fact]
    public void ExpiredSessionIsGoneFromRedisAndFromTheCache()
    {
        string prefix = TestNodes.NewPrefix();
        using SessionStorageConnector c = TestNodes.Connector(_server, prefix, SharedNodes.NewSecret());
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, SharedNodes.Bag("n", 1), TimeSpan.FromMilliseconds(500));
        Assert.NotNull(c.Get<SessionBag>(id));
        Thread.Sleep(800);
        Assert.Empty(KeysWithPrefix(prefix));
        Assert.Null(c.Get<SessionBag>(id));
        Assert.False(c.Update(id, SharedNodes.Bag("n", 2)));
    }

    [Fact]
    public void ClearDoesNotTouchAnApplicationWhosePrefixStartsWithThisOne()
    {
        // Issue 11 item 17: with prefix "sc:", Clear used to SCAN "sc:*" and delete "sc:admin:"'s sessions too.
        string prefix = TestNodes.NewPrefix();
        string nested = prefix + "admin:";
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector app = TestNodes.Connector(_server, prefix, secret);
        using SessionStorageConnector admin = TestNodes.Connector(_server, nested, secret, TimeSpan.Zero);
        string appId = SessionStorageConnector.GenerateId();
        string adminId = SessionStorageConnector.GenerateId();
        app.Set(appId, SharedNodes.Bag("role", "user"));
        admin.Set(adminId, SharedNodes.Bag("role", "admin"));

        app.Clear();

        Assert.Null(app.Get<SessionBag>(appId));
        Assert.Equal("admin", admin.Get<SessionBag>(adminId)!["role"]);
        Assert.Single(KeysWithPrefix(nested));
    }

    [Fact]
    public void ClearRemovesOnlyThisPrefixsKeys()
    {
        // A prefix with glob characters: SCAN's pattern must escape them.
        string prefix = "g*" + TestNodes.NewPrefix();
        string lookalike = "gx" + prefix[2..];
        using SessionStorageConnector c = TestNodes.Connector(_server, prefix, SharedNodes.NewSecret());
        using SessionStorageConnector other = TestNodes.Connector(_server, lookalike, SharedNodes.NewSecret());
        var ids = Enumerable.Range(0, 300).Select(_ => SessionStorageConnector.GenerateId()).ToList();
        foreach (string id in ids) c.Set(id, SharedNodes.Bag("n", 1));
        string otherId = SessionStorageConnector.GenerateId();
        other.Set(otherId, SharedNodes.Bag("n", 1));
        _server.Db.StringSet("foreign:" + prefix, "keep");
        _server.Db.StringSet(prefix.TrimEnd(':'), "keep");
        Assert.Equal(300, KeysWithPrefix(prefix).Count);

        c.Clear();

        Assert.Empty(KeysWithPrefix(prefix));
        Assert.All(ids.Take(5), id => Assert.Null(c.Get<SessionBag>(id)));
        Assert.NotNull(other.Get<SessionBag>(otherId));
        Assert.Single(KeysWithPrefix(lookalike));
        Assert.Equal("keep", (string?)_server.Db.StringGet("foreign:" + prefix));
        Assert.Equal("keep", (string?)_server.Db.StringGet(prefix.TrimEnd(':')));
    }

    [Fact]
    public void RawSessionIdNeverAppearsInRedis()
    {
        string prefix = TestNodes.NewPrefix();
        using SessionStorageConnector c = TestNodes.Connector(_server, prefix, SharedNodes.NewSecret());
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, SharedNodes.Bag("user", "ada"), TimeSpan.FromMinutes(5));
        c.Update(id, SharedNodes.Bag("n", 1));

        List<RedisKey> all = _server.Server.Keys(0, "*", 500).ToList();
        Assert.Contains(all, k => k.ToString().StartsWith(prefix, StringComparison.Ordinal));
        Assert.DoesNotContain(all, k => k.ToString().Contains(id, StringComparison.Ordinal));
        byte[] idBytes = Encoding.ASCII.GetBytes(id);
        foreach (RedisKey key in KeysWithPrefix(prefix))
        {
            foreach (HashEntry field in _server.Db.HashGetAll(key))
            {
                Assert.Equal(-1, ((byte[])field.Value!).AsSpan().IndexOf(idBytes));
                Assert.Equal(-1, ((byte[])field.Value!).AsSpan().IndexOf("ada"u8));
            }
        }
    }

    [Fact]
    public void SaveIsANoOpAndCloseDisposesTheConnection()
    {
        string prefix = TestNodes.NewPrefix();
        RedisSessionStorage storage = TestNodes.Storage(_server, prefix);
        SessionStorageConnector c = SharedNodes.Connector(storage, SharedNodes.NewSecret());
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, SharedNodes.Bag("n", 1));
        c.Save();
        Assert.True(storage.Multiplexer.IsConnected);
        c.Close();
        Assert.False(storage.Multiplexer.IsConnected);
        Assert.Throws<SessionStorageConnectorException>(() => c.Get<SessionBag>(id));
        // Close does not delete data.
        Assert.Single(KeysWithPrefix(prefix));
    }

    [Fact]
    public void StaticFacadeWorksWithRedisStorage()
    {
        string prefix = TestNodes.NewPrefix();
        Sessions.Close();
        try
        {
            SessionStorageConnector c = Sessions.Configure(TestNodes.Storage(_server, prefix), new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(SharedNodes.NewSecret()) });
            Assert.Equal("redis", c.StorageKind);
            string id = Sessions.GenerateId();
            Sessions.Set(id, SharedNodes.Bag("n", 1));
            Sessions.Update(id, SharedNodes.Bag("n", 2));
            Assert.Equal(2L, Sessions.Get<SessionBag>(id)!["n"]);
            Assert.Single(KeysWithPrefix(prefix));
        }
        finally
        {
            Sessions.Close();
        }
    }

    private List<RedisKey> KeysWithPrefix(string prefix) =>
        _server.Server.Keys(0, "*", 500).Where(k => k.ToString().StartsWith(prefix, StringComparison.Ordinal)).ToList();
}
