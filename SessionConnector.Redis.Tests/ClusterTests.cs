using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Support;
using SessionConnector.Storage;
using StackExchange.Redis;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>Every operation against a real local Redis Cluster: 3 primaries, 3 replicas.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterTests
{
    private static readonly TimeSpan LongCache = TimeSpan.FromMinutes(5);
    private readonly RedisCluster _cluster;

    public ClusterTests(RedisCluster cluster)
    {
        _cluster = cluster;
        // Failover tests share the cluster; each test starts from a healthy one.
        _cluster.WaitHealthy(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void ADatabaseOtherThanZeroIsRefusedAtConnectOnACluster()
    {
        var e = Assert.Throws<ArgumentException>(() => RedisSessionStorage.Connect(new RedisSessionStorageOptions
        {
            Configuration = _cluster.Configuration,
            KeyPrefix = TestNodes.NewPrefix(),
            Database = 2,
        }));
        Assert.Contains("Redis Cluster", e.Message);
        Assert.Contains("Database", e.Message);
    }

    [Fact]
    public async Task EveryOperationWorksOnKeysSpreadOverEverySlotRangeWithoutCrossSlotErrors()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector c = Connector(prefix, secret);
        string[] ids = Enumerable.Range(0, 600).Select(_ => SessionStorageConnector.GenerateId()).ToArray();
        for (int i = 0; i < ids.Length; i++)
        {
            if (i % 2 == 0) Assert.True(c.Set(ids[i], SharedNodes.Bag("n", (long)i), TimeSpan.FromMinutes(10)));
            else Assert.True(await c.SetAsync(ids[i], SharedNodes.Bag("n", (long)i), TimeSpan.FromMinutes(10)));
        }

        // The records landed on every primary and in hundreds of slots: no hash tag pins them together.
        List<RedisKey> keys = RecordKeys(prefix);
        Assert.Equal(ids.Length, keys.Count);
        Assert.True(keys.Select(k => _cluster.Admin.HashSlot(k)).Distinct().Count() > 500);
        Dictionary<int, int> perPrimary = keys.GroupBy(k => _cluster.PrimaryFor(k)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, perPrimary.Count);
        Assert.All(perPrimary.Values, n => Assert.InRange(n, 100, 400));

        using SessionStorageConnector fresh = Connector(prefix, secret, cacheCapacity: 0);
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.Equal((long)i, fresh.Get<SessionBag>(ids[i])!["n"]);
            Assert.True(i % 2 == 0
                ? fresh.Update<SessionBag>(ids[i], b => b["n"] = (long)b["n"]! + 1)
                : await fresh.UpdateAsync<SessionBag>(ids[i], b => b["n"] = (long)b["n"]! + 1));
        }

        Assert.Equal(1L, (await c.GetAsync<SessionBag>(ids[0]))!["n"]);
        Assert.InRange(_cluster.Admin.GetDatabase().KeyTimeToLive(keys[0])!.Value.TotalMinutes, 9, 10);
        Assert.True(c.Delete(ids[1]));
        Assert.True(await c.DeleteAsync(ids[2]));
        Assert.Null(fresh.Get<SessionBag>(ids[1]));
        Assert.Null(await fresh.GetAsync<SessionBag>(ids[2]));
        Assert.False(fresh.Update(ids[1], SharedNodes.Bag("n", 0L)));

        await c.ClearAsync();
        Assert.Empty(RecordKeys(prefix));
        Assert.Null(fresh.Get<SessionBag>(ids[3]));
    }

    [Fact]
    public void CompareAndSetFromTwoConnectorsOnSessionsInDifferentSlotsCountsExactly()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = Connector(prefix, secret);
        using SessionStorageConnector b = Connector(prefix, secret);
        string[] ids = Enumerable.Range(0, 6).Select(_ => SessionStorageConnector.GenerateId()).ToArray();
        foreach (string id in ids) a.Set(id, SharedNodes.Bag("n", 0L));
        // Every thread touches every session, so both connectors race on each one.
        ConcurrencyTests.RunUpdates([a, b, a, b, a, b], (t, i) => ids[(t + i) % ids.Length], 150);
        using SessionStorageConnector fresh = Connector(prefix, secret, cacheCapacity: 0);
        Assert.Equal(6 * 150L, ids.Sum(id => (long)fresh.Get<SessionBag>(id)!["n"]!));
    }

    [Fact]
    public void ClearScansEveryPrimaryAndTouchesOnlyThisApplicationsKeys()
    {
        string prefix = TestNodes.NewPrefix();
        string nested = prefix + "admin:"; // another application whose prefix starts with ours
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector app = Connector(prefix, secret);
        using SessionStorageConnector admin = Connector(nested, secret);
        string[] ids = Enumerable.Range(0, 300).Select(_ => SessionStorageConnector.GenerateId()).ToArray();
        foreach (string id in ids) app.Set(id, SharedNodes.Bag("n", 1L));
        string[] adminIds = Enumerable.Range(0, 30).Select(_ => SessionStorageConnector.GenerateId()).ToArray();
        foreach (string id in adminIds) admin.Set(id, SharedNodes.Bag("n", 2L));
        IDatabase db = _cluster.Admin.GetDatabase();
        db.StringSet(prefix + "x", "keep");

        app.Clear();

        Assert.Empty(RecordKeys(prefix));
        Assert.Equal(30, RecordKeys(nested).Count);
        Assert.All(adminIds, id => Assert.Equal(2L, admin.Get<SessionBag>(id)!["n"]));
        Assert.Equal("keep", (string?)db.StringGet(prefix + "x"));
    }

    [Fact]
    public void AnUpdateOnAnyPrimaryReachesAnotherNodesCacheOverClassicPubSub()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = Connector(prefix, secret);
        RedisSessionStorage bStorage = Storage(prefix);
        using SessionStorageConnector b = SharedNodes.Connector(bStorage, secret, LongCache);
        // One session per primary: the PUBLISH in the write script runs on the key's primary, the subscriber may be
        // connected to any node, and the cluster bus carries the message across.
        string[] ids = SessionsOnEveryPrimary(a, prefix);
        foreach (string id in ids)
        {
            Assert.Equal("1", b.Get<SessionBag>(id)!["v"]);
        }

        foreach (string id in ids)
        {
            a.Update(id, SharedNodes.Bag("v", "2"));
            var watch = Stopwatch.StartNew();
            while (b.Get<SessionBag>(id)!["v"] as string != "2" && watch.Elapsed < TimeSpan.FromSeconds(2)) Thread.Yield();
            Assert.Equal("2", b.Get<SessionBag>(id)!["v"]);
            Assert.True(watch.ElapsedMilliseconds <= 100, $"b saw the update after {watch.ElapsedMilliseconds} ms");
        }

        a.Delete(ids[0]);
        Poll.Until(() => b.Get<SessionBag>(ids[0]) is null, TimeSpan.FromSeconds(2));
        Assert.Null(b.Get<SessionBag>(ids[0]));
        Assert.True(bStorage.InvalidationsReceived >= ids.Length + 1);
    }

    [Fact]
    public void ASeparateProcessOnTheClusterSeesUpdatesAndDeletes()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = Connector(prefix, secret);
        using var b = new NodeProcess(_cluster.Configuration, prefix, secret);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, SharedNodes.Bag("v", "1"));
        Assert.Equal("1", b.Ask($"get {id} v"));
        Assert.Equal("started", b.Ask($"waitfor {id} v 2 2000"));
        a.Update(id, SharedNodes.Bag("v", "2"));
        Assert.StartsWith("seen ", b.ReadLine(TimeSpan.FromSeconds(10)));
        Assert.Equal("True", b.Ask($"update {id} v fromb"));
        Poll.Until(() => a.Get<SessionBag>(id)!["v"] as string == "fromb", TimeSpan.FromSeconds(2));
        Assert.Equal("fromb", a.Get<SessionBag>(id)!["v"]);
        Assert.Equal("started", b.Ask($"waitfor {id} v <null> 2000"));
        a.Delete(id);
        Assert.StartsWith("seen ", b.ReadLine(TimeSpan.FromSeconds(10)));
        Assert.Equal("0", b.Ask($"watchnull {id} 200"));
    }

    [Fact]
    public void WhenTheNodeHoldingTheSubscriptionIsKilledTheCacheIsClearedAndInvalidationsResume()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        RedisSessionStorage bStorage = Storage(prefix);
        using SessionStorageConnector b = SharedNodes.Connector(bStorage, secret, LongCache);
        int subscribed = ((System.Net.IPEndPoint)bStorage.Multiplexer.GetSubscriber().SubscribedEndpoint(RedisChannel.Literal(bStorage.ChannelName))!).Port;
        long clearsBefore = bStorage.FullInvalidations;
        _cluster.Kill(subscribed);
        try
        {
            Poll.Until(() => bStorage.FullInvalidations > clearsBefore, TimeSpan.FromSeconds(5));
            Assert.True(bStorage.FullInvalidations > clearsBefore, "losing the subscription's node did not empty the cache");

            // Once the cluster has settled the client subscribes elsewhere and a message again refreshes b's cache.
            using SessionStorageConnector a = Connector(prefix, secret);
            string id = SessionStorageConnector.GenerateId();
            Poll.Until(() => TrySet(a, id), TimeSpan.FromSeconds(20));
            Poll.Until(() => bStorage.IsSubscriptionConnected, TimeSpan.FromSeconds(20));
            Assert.True(bStorage.IsSubscriptionConnected, "the subscription did not come back on another node");
            Thread.Sleep(1500); // past the grace period, so only a message can refresh b from here on
            Assert.Equal("1", b.Get<SessionBag>(id)!["v"]);
            a.Update(id, SharedNodes.Bag("v", "2"));
            Poll.Until(() => b.Get<SessionBag>(id)!["v"] as string == "2", TimeSpan.FromSeconds(2));
            Assert.Equal("2", b.Get<SessionBag>(id)!["v"]);
        }
        finally
        {
            _cluster.Restart(subscribed);
            _cluster.WaitHealthy(TimeSpan.FromSeconds(60));
        }
    }

    private static bool TrySet(SessionStorageConnector c, string id)
    {
        try
        {
            return c.Set(id, SharedNodes.Bag("v", "1"));
        }
        catch (SessionStorageException)
        {
            return false;
        }
    }

    /// <summary>Three sessions, set through <paramref name="writer"/>, whose records live on three different primaries.</summary>
    private string[] SessionsOnEveryPrimary(SessionStorageConnector writer, string prefix)
    {
        var found = new Dictionary<int, string>();
        var known = new HashSet<RedisKey>();
        while (found.Count < 3)
        {
            string id = SessionStorageConnector.GenerateId();
            writer.Set(id, SharedNodes.Bag("v", "1"));
            RedisKey key = RecordKeys(prefix).Single(k => !known.Contains(k));
            known.Add(key);
            found.TryAdd(_cluster.PrimaryFor(key), id);
        }

        return found.Values.ToArray();
    }

    private List<RedisKey> RecordKeys(string prefix)
    {
        var keys = new List<RedisKey>();
        foreach (IServer server in _cluster.Admin.GetServers().Where(s => !s.IsReplica && s.IsConnected))
        {
            keys.AddRange(server.Keys(0, prefix + "*", 500).Where(k => ((string)k!).Length == prefix.Length + 43));
        }

        return keys;
    }

    private RedisSessionStorage Storage(string prefix, int waitForReplicas = 0) => RedisSessionStorage.Connect(new RedisSessionStorageOptions
    {
        Configuration = _cluster.Configuration,
        KeyPrefix = prefix,
        WaitForReplicas = waitForReplicas,
    });

    private SessionStorageConnector Connector(string prefix, byte[] secret, int cacheCapacity = 4096) =>
        new(Storage(prefix), new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(secret), CacheCapacity = cacheCapacity, CacheMaxAge = LongCache });
}
