using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Support;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>Lost subscriptions and server restarts.</summary>
[Collection(RedisCollection.Name)]
public sealed class ResilienceTests
{
    private readonly RedisServer _server;

    public ResilienceTests(RedisServer server) => _server = server;

    [Fact]
    public void WhenTheSubscriptionIsKilledTheNodeEmptiesItsCache()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        RedisSessionStorage bStorage = TestNodes.Storage(_server, prefix);
        using SessionStorageConnector b = SharedNodes.Connector(bStorage, secret, TimeSpan.FromMinutes(5));
        // c writes the same records but announces on another channel: its changes reach b only if b re-reads.
        using SessionStorageConnector c = TestNodes.Connector(_server, prefix, secret, channel: prefix + "elsewhere");
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, SharedNodes.Bag("v", "1"));
        Assert.Equal("1", b.Get<SessionBag>(id)!["v"]);
        c.Update(id, SharedNodes.Bag("v", "2"));
        Thread.Sleep(50);
        Assert.Equal("1", b.Get<SessionBag>(id)!["v"]); // b's cache holds the old copy and nothing told it otherwise
        long before = bStorage.FullInvalidations;

        _server.Db.Execute("CLIENT", "KILL", "TYPE", "pubsub");

        var watch = Stopwatch.StartNew();
        while (b.Get<SessionBag>(id)!["v"] as string != "2" && watch.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(5);
        Assert.Equal("2", b.Get<SessionBag>(id)!["v"]);
        Assert.True(bStorage.FullInvalidations > before);

        // The subscription comes back and invalidations flow again.
        Poll.Until(() => bStorage.IsSubscriptionConnected, TimeSpan.FromSeconds(10));
        Assert.True(bStorage.IsSubscriptionConnected);
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret);
        Thread.Sleep(1200); // past the post-reconnect grace period, so only a message can refresh b from here on
        Assert.Equal("2", b.Get<SessionBag>(id)!["v"]);
        a.Update(id, SharedNodes.Bag("v", "3"));
        watch.Restart();
        while (b.Get<SessionBag>(id)!["v"] as string != "3" && watch.Elapsed < TimeSpan.FromSeconds(2)) Thread.Sleep(1);
        Assert.Equal("3", b.Get<SessionBag>(id)!["v"]);
    }

    [Fact]
    public async Task RestartMidLoadFailsFastRecoversAndCorruptsNothing()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        const int Workers = 4;
        var ids = Enumerable.Range(0, Workers).Select(_ => SessionStorageConnector.GenerateId()).ToArray();
        var acked = new long[Workers];
        var failed = new long[Workers];
        var unexpected = new ConcurrentQueue<Exception>();
        using SessionStorageConnector c = SharedNodes.Connector(TestNodes.Storage(_server, prefix, operationTimeout: TimeSpan.FromSeconds(1)), secret);
        foreach (string id in ids) c.Set(id, SharedNodes.Bag("n", 0));

        using var stop = new CancellationTokenSource();
        Task[] load = Enumerable.Range(0, Workers).Select(w => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (c.Update<SessionBag>(ids[w], bag => bag["n"] = (long)bag["n"]! + 1)) acked[w]++;
                    else unexpected.Enqueue(new InvalidOperationException($"session {w} vanished"));
                }
                catch (SessionStorageException)
                {
                    failed[w]++;
                    Thread.Sleep(10);
                }
                catch (Exception e)
                {
                    unexpected.Enqueue(e);
                    Thread.Sleep(10);
                }
            }
        })).ToArray();

        Thread.Sleep(500);
        _server.Stop(save: true);
        try
        {
            // During the outage a storage call fails with the typed exception, quickly.
            string uncached = SessionStorageConnector.GenerateId();
            var outage = Stopwatch.StartNew();
            for (int i = 0; i < 5; i++)
            {
                var call = Stopwatch.StartNew();
                Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(uncached));
                Assert.True(call.Elapsed < TimeSpan.FromSeconds(3), $"a call during the outage took {call.Elapsed}");
                Thread.Sleep(100);
            }

            Assert.True(outage.Elapsed < TimeSpan.FromSeconds(10));
        }
        finally
        {
            _server.Start();
        }

        // Recovery: reads succeed again without anyone reconnecting by hand.
        var recovery = Stopwatch.StartNew();
        bool recovered = false;
        while (!recovered && recovery.Elapsed < TimeSpan.FromSeconds(15))
        {
            try
            {
                c.Get<SessionBag>(SessionStorageConnector.GenerateId());
                recovered = true;
            }
            catch (SessionStorageException)
            {
                Thread.Sleep(50);
            }
        }

        Assert.True(recovered, "the client did not reconnect within 15 s");
        long[] ackedAtRecovery = acked.ToArray();
        Thread.Sleep(700);
        stop.Cancel();
        await Task.WhenAll(load);

        Assert.Empty(unexpected);
        Assert.True(failed.Sum() > 0, "no operation failed during the outage: the restart did not happen under load");
        for (int w = 0; w < Workers; w++) Assert.True(acked[w] > ackedAtRecovery[w], $"worker {w} made no progress after recovery");

        // Every record decrypts, and holds every acknowledged increment (plus at most the ambiguous failed ones).
        using SessionStorageConnector fresh = TestNodes.Connector(_server, prefix, secret, TimeSpan.Zero);
        for (int w = 0; w < Workers; w++)
        {
            SessionBag? bag = fresh.Get<SessionBag>(ids[w]);
            Assert.NotNull(bag);
            Assert.InRange((long)bag["n"]!, acked[w], acked[w] + failed[w]);
        }
    }
}
