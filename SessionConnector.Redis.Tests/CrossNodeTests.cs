using System;
using System.Diagnostics;
using System.Threading;
using SessionConnector.Redis.Tests.Support;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>
/// Two nodes with separate caches. Each reader's cache lives far longer than the test (CacheMaxAge 5 min), so a fresh
/// value can only come from a pub/sub invalidation.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class CrossNodeTests
{
    private static readonly TimeSpan LongCache = TimeSpan.FromMinutes(5);
    private readonly RedisServer _server;

    public CrossNodeTests(RedisServer server) => _server = server;

    [Fact]
    public void InProcessUpdateOnOneNodeIsSeenByTheOtherWithin100Ms()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret, LongCache);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret, LongCache);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, SharedNodes.Bag("v", "1"));
        Assert.Equal("1", b.Get<SessionBag>(id)!["v"]); // now cached in b

        for (int round = 2; round < 12; round++)
        {
            string expected = round.ToString();
            a.Update(id, SharedNodes.Bag("v", expected));
            var watch = Stopwatch.StartNew();
            while (b.Get<SessionBag>(id)!["v"] as string != expected && watch.ElapsedMilliseconds < 1000) Thread.Yield();
            Assert.Equal(expected, b.Get<SessionBag>(id)!["v"]);
            Assert.True(watch.ElapsedMilliseconds <= 100, $"round {round}: b saw the update after {watch.ElapsedMilliseconds} ms");
        }
    }

    [Fact]
    public void InProcessDeleteOnOneNodeIsNeverServedByTheOtherAfterwards()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret, LongCache);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret, LongCache);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, SharedNodes.Bag("v", "1"));
        Assert.NotNull(b.Get<SessionBag>(id));

        a.Delete(id);
        var watch = Stopwatch.StartNew();
        while (b.Get<SessionBag>(id) is not null && watch.ElapsedMilliseconds < 1000) Thread.Yield();
        Assert.True(watch.ElapsedMilliseconds <= 100, $"b served the deleted session for {watch.ElapsedMilliseconds} ms");
        for (int i = 0; i < 200; i++)
        {
            Assert.Null(b.Get<SessionBag>(id));
            Thread.Sleep(1);
        }

        // A stale writer on b cannot bring it back.
        Assert.False(b.Update(id, SharedNodes.Bag("v", "2")));
        Assert.Null(a.Get<SessionBag>(id));
    }

    [Fact]
    public void ClearOnOneNodeEmptiesTheOtherNodesCache()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret, LongCache);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret, LongCache);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, SharedNodes.Bag("v", "1"));
        Assert.NotNull(b.Get<SessionBag>(id));
        a.Clear();
        var watch = Stopwatch.StartNew();
        while (b.Get<SessionBag>(id) is not null && watch.ElapsedMilliseconds < 1000) Thread.Yield();
        Assert.Null(b.Get<SessionBag>(id));
    }

    [Fact]
    public void SeparateProcessSeesUpdatesWithin100MsAndNeverServesADeletedSession()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret, LongCache);
        using var b = new NodeProcess(_server.Endpoint, prefix, secret);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, SharedNodes.Bag("v", "1"));
        Assert.Equal("1", b.Ask($"get {id} v"));

        for (int round = 2; round < 7; round++)
        {
            // b starts polling (its first read is served from its cache), then a updates.
            Assert.Equal("started", b.Ask($"waitfor {id} v {round} 2000"));
            a.Update(id, SharedNodes.Bag("v", round.ToString()));
            long updatedAt = Stopwatch.GetTimestamp();
            string? seen = b.ReadLine(TimeSpan.FromSeconds(10));
            Assert.StartsWith("seen ", seen);
            // Stopwatch timestamps are CLOCK_MONOTONIC, comparable across processes on one machine.
            double lagMs = Stopwatch.GetElapsedTime(updatedAt, long.Parse(seen![5..])).TotalMilliseconds;
            Assert.True(lagMs <= 100, $"round {round}: the other process saw the update {lagMs:F1} ms after it returned");
        }

        // The other direction: b writes, a (with a long cache) sees it.
        Assert.Equal("True", b.Ask($"update {id} v fromb"));
        var watch = Stopwatch.StartNew();
        while (a.Get<SessionBag>(id)!["v"] as string != "fromb" && watch.ElapsedMilliseconds < 1000) Thread.Yield();
        Assert.Equal("fromb", a.Get<SessionBag>(id)!["v"]);
        Assert.True(watch.ElapsedMilliseconds <= 100, $"a saw b's update after {watch.ElapsedMilliseconds} ms");

        Assert.Equal("started", b.Ask($"waitfor {id} v <null> 2000"));
        a.Delete(id);
        long deletedAt = Stopwatch.GetTimestamp();
        string? gone = b.ReadLine(TimeSpan.FromSeconds(10));
        Assert.StartsWith("seen ", gone);
        Assert.True(Stopwatch.GetElapsedTime(deletedAt, long.Parse(gone![5..])).TotalMilliseconds <= 100);
        Assert.Equal("0", b.Ask($"watchnull {id} 300"));
        Assert.Equal("False", b.Ask($"update {id} v stale"));
        Assert.Null(a.Get<SessionBag>(id));
    }
}
