using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Diagnostics;
using SessionConnector.Redis.Tests.Support;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>
/// Issue 23: a real redis-server stopped, paused (SIGSTOP) and restarted mid-test. Each test asserts what the caller sees
/// (typed failures, timeouts, fail-safe reads), what is logged (the observer) and that nothing acknowledged is lost.
/// </summary>
[Collection(RedisFaultCollection.Name)]
public sealed class FaultTests
{
    private readonly RedisServer _server;

    public FaultTests(RedisServer server) => _server = server;

    private sealed class Observer : SessionConnectorObserver
    {
        public ConcurrentQueue<Exception> Failures { get; } = new();

        public ConcurrentQueue<TimeSpan> Stale { get; } = new();

        public override void StorageFailed(string operation, Exception exception) => Failures.Enqueue(exception);

        public override void StaleSessionServed(TimeSpan age, Exception cause) => Stale.Enqueue(age);
    }

    private static long Sum(Meter meter, string instrument, Action body)
    {
        long total = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (ReferenceEquals(i.Meter, meter) && i.Name == instrument) l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref total, v));
        listener.Start();
        body();
        return Interlocked.Read(ref total);
    }

    private SessionStorageConnector Connector(string prefix, byte[] secret, Observer observer, TimeSpan failSafe, TimeSpan? operationTimeout = null) =>
        new(TestNodes.Storage(_server, prefix, operationTimeout: operationTimeout ?? TimeSpan.FromSeconds(1)), new SessionConnectorOptions
        {
            Keys = SessionKeyRing.FromSecret(secret),
            CacheMaxAge = TimeSpan.FromMilliseconds(200),
            FailSafeMaxStaleness = failSafe,
            Observer = observer,
        });

    [Fact]
    public async Task AStoppedServerFailsTypedServesFailSafeCopiesAndLosesNothingAcknowledgedAcrossARestart()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        var observer = new Observer();
        using SessionStorageConnector c = Connector(prefix, secret, observer, TimeSpan.FromMinutes(1));
        string[] ids = Enumerable.Range(0, 10).Select(_ => SessionStorageConnector.GenerateId()).ToArray();
        for (int i = 0; i < ids.Length; i++) Assert.True(await c.SetAsync(ids[i], SharedNodes.Bag("n", i)));

        _server.Stop(save: true);
        try
        {
            Thread.Sleep(300); // past the cache's maximum age: every read goes to Redis
            var watch = Stopwatch.StartNew();
            SessionStorageException unknown = await Assert.ThrowsAsync<SessionStorageException>(async () => await c.GetAsync<SessionBag>(SessionStorageConnector.GenerateId()));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"an unreachable server took {watch.Elapsed}"); // fails fast, no backlog
            Assert.Equal("redis", unknown.StorageKind);
            Assert.Equal("read", unknown.Operation);

            long stale = Sum(c.Meter, "sessionconnector.cache.stale_served", () =>
            {
                for (int i = 0; i < ids.Length - 1; i++) Assert.Equal(i, Convert.ToInt32(c.Get<SessionBag>(ids[i])!["n"]));
            });
            Assert.Equal(ids.Length - 1, stale);
            Assert.NotEmpty(observer.Stale);

            // Writes fail (no silent loss), and a sign-out that could not reach Redis stops the fail-safe copy being served.
            await Assert.ThrowsAsync<SessionStorageException>(async () => await c.SetAsync(ids[0], SharedNodes.Bag("n", -1)));
            Assert.Throws<SessionStorageException>(() => c.Delete(ids[^1]));
            Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(ids[^1]));
            Assert.Contains(observer.Failures, e => e is SessionStorageException { Operation: "delete", StorageKind: "redis" });
        }
        finally
        {
            _server.Start();
        }

        Poll.Until(() =>
        {
            try
            {
                return c.Set(ids[0], SharedNodes.Bag("n", 0));
            }
            catch (SessionStorageException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(15));

        using SessionStorageConnector fresh = TestNodes.Connector(_server, prefix, secret);
        for (int i = 0; i < ids.Length; i++) Assert.Equal(i, Convert.ToInt32(fresh.Get<SessionBag>(ids[i])!["n"]));
    }

    [Fact]
    public async Task APausedServerTimesOutTypedAndCountedTheCallersTokenStillWinsAndAcknowledgedWritesSurvive()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        var observer = new Observer();
        using SessionStorageConnector c = Connector(prefix, secret, observer, TimeSpan.FromMinutes(1));
        string id = SessionStorageConnector.GenerateId();
        Assert.True(await c.SetAsync(id, SharedNodes.Bag("n", 1)));
        Thread.Sleep(300);

        _server.Pause();
        long timeouts;
        try
        {
            SessionStorageException? read = null;
            SessionStorageException? write = null;
            var watch = Stopwatch.StartNew();
            timeouts = Sum(c.Meter, "sessionconnector.storage.timeouts", () =>
            {
                read = Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(SessionStorageConnector.GenerateId()));
                write = Assert.ThrowsAsync<SessionStorageException>(async () => await c.SetAsync(id, SharedNodes.Bag("n", 2))).GetAwaiter().GetResult();
            });
            Assert.True(read!.IsTimeout, read.ToString());
            Assert.True(write!.IsTimeout, write.ToString());
            Assert.True(timeouts >= 2, $"{timeouts} timeouts counted");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"two 1 s timeouts took {watch.Elapsed}");

            // The cached copy is served (fail-safe) while the server is frozen.
            Assert.Equal(1, Convert.ToInt32(c.Get<SessionBag>(id)!["n"]));
            Assert.NotEmpty(observer.Stale);

            // The caller's own token ends the wait first, untyped: the caller gave up, storage did not fail.
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            int failuresBefore = observer.Failures.Count;
            watch.Restart();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await c.GetAsync<SessionBag>(SessionStorageConnector.GenerateId(), cts.Token));
            Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(900), $"cancellation took {watch.Elapsed}");
            Assert.Equal(failuresBefore, observer.Failures.Count);
        }
        finally
        {
            _server.Resume();
        }

        Poll.Until(() =>
        {
            try
            {
                return c.Get<SessionBag>(SessionStorageConnector.GenerateId()) is null;
            }
            catch (SessionStorageException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(15));

        // The acknowledged write survives; the timed-out one was never acknowledged and may or may not have landed
        // (Redis ran it once thawed): a timeout on a write is ambiguous, as documented.
        using SessionStorageConnector fresh = TestNodes.Connector(_server, prefix, secret);
        Assert.Contains(Convert.ToInt32(fresh.Get<SessionBag>(id)!["n"]), new[] { 1, 2 });
    }

    [Fact]
    public void AChangeMissedWhileTheSubscriptionWasDownIsNeverServedFromAFailSafeCopy()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        var observer = new Observer();
        using SessionStorageConnector b = new(TestNodes.Storage(_server, prefix), new SessionConnectorOptions
        {
            Keys = SessionKeyRing.FromSecret(secret),
            CacheMaxAge = TimeSpan.FromMinutes(5),
            FailSafeMaxStaleness = TimeSpan.FromMinutes(5),
            Observer = observer,
        });
        // c announces on another channel: its change reaches b only through a re-read.
        using SessionStorageConnector c = TestNodes.Connector(_server, prefix, secret, channel: prefix + "elsewhere");
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, SharedNodes.Bag("v", "1"));
        Assert.Equal("1", b.Get<SessionBag>(id)!["v"]);
        c.Update(id, SharedNodes.Bag("v", "2"));

        _server.Db.Execute("CLIENT", "KILL", "TYPE", "pubsub"); // b empties its cache and sets its copies aside

        var watch = Stopwatch.StartNew();
        while (b.Get<SessionBag>(id)!["v"] as string != "2" && watch.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(5);
        Assert.Equal("2", b.Get<SessionBag>(id)!["v"]);
        Assert.Empty(observer.Stale); // storage answered every read: no copy was served
    }
}
