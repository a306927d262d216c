using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Faults;

/// <summary>
/// Issue 23: a custom store that throws arbitrary exceptions or hangs. The caller sees one typed exception (so the web
/// answers 503), the observer (the log) sees it, the counters count it, and nothing acknowledged is lost.
/// </summary>
public sealed class StorageFaultTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    private (SessionStorageConnector Connector, FaultyStorage Store, FaultObserver Observer) Create(Action<SessionConnectorOptions>? configure = null)
    {
        var store = new FaultyStorage(new MemorySessionStorage(1000, _env.Clock));
        var observer = new FaultObserver();
        SessionStorageConnector c = _env.Create(store, o =>
        {
            o.Observer = observer;
            configure?.Invoke(o);
        });
        return (c, store, observer);
    }

    public static TheoryData<string> Faults => new() { "io", "invalid-operation", "null-reference", "foreign-cancel" };

    private static Exception MakeFault(string kind) => kind switch
    {
        "io" => new IOException("disk on fire"),
        "invalid-operation" => new InvalidOperationException("driver state"),
        "null-reference" => new NullReferenceException("bug in the store"),
        // A store's own cancellation (an internal timeout), not the caller's: still a storage fault.
        _ => new OperationCanceledException("the store gave up"),
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task WhenAStoreThrowsAnythingTheCallerGetsSessionStorageExceptionNamingStoreAndOperation(string kind)
    {
        (SessionStorageConnector c, FaultyStorage store, FaultObserver observer) = Create(o => o.CacheCapacity = 0);
        using (c)
        {
            var failures = new MetricCounter(c.Meter, "sessionconnector.storage.failures");
            string id = SessionStorageConnector.GenerateId();
            Assert.True(c.Set(id, new SessionBag { ["v"] = 1 }));
            store.Mode = FaultMode.Throws;
            store.Fault = () => MakeFault(kind);

            SessionStorageException read = Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(id));
            Assert.Equal("faulty", read.StorageKind);
            Assert.Equal("read", read.Operation);
            Assert.False(read.IsTimeout);
            Assert.Contains("faulty", read.Message);
            Assert.Equal(MakeFault(kind).GetType(), read.InnerException!.GetType());

            SessionStorageException readAsync = await Assert.ThrowsAsync<SessionStorageException>(async () => await c.GetAsync<SessionBag>(id));
            Assert.Equal("read", readAsync.Operation);
            SessionStorageException update = await Assert.ThrowsAsync<SessionStorageException>(async () => await c.UpdateAsync<SessionBag>(id, b => b["v"] = 2));
            Assert.Equal("read", update.Operation); // an update reads first
            SessionStorageException delete = Assert.Throws<SessionStorageException>(() => c.Delete(id));
            Assert.Equal("delete", delete.Operation);

            Assert.Equal(4, observer.Failures.Count);
            Assert.All(observer.Failures, f => Assert.IsType<SessionStorageException>(f.Exception));
            Assert.Equal(4, failures.Total);

            // Nothing acknowledged was lost: the store still holds the acknowledged write, and reads it once healthy.
            store.Mode = FaultMode.Healthy;
            Assert.Equal(1, Convert.ToInt32(c.Get<SessionBag>(id)!["v"]));
        }
    }

    [Fact]
    public async Task AWriteThatFailsReportsWriteAndLeavesTheAcknowledgedRecord()
    {
        var inner = new MemorySessionStorage(1000, _env.Clock);
        var store = new FailingWrites(inner);
        var observer = new FaultObserver();
        using SessionStorageConnector c = _env.Create(store, o => o.Observer = observer);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(await c.SetAsync(id, new SessionBag { ["v"] = 1 }));
        store.Failing = true;
        SessionStorageException e = await Assert.ThrowsAsync<SessionStorageException>(async () => await c.SetAsync(id, new SessionBag { ["v"] = 2 }));
        Assert.Equal("write", e.Operation);
        Assert.IsType<IOException>(e.InnerException);
        Assert.Equal("write", Assert.Single(observer.Failures).Operation);
        store.Failing = false;
        using SessionStorageConnector fresh = _env.Create(new FailingWrites(inner));
        Assert.Equal(1, Convert.ToInt32(fresh.Get<SessionBag>(id)!["v"]));
    }

    [Fact]
    public async Task WhenAStoreHangsIgnoringTheTokenTheCallTimesOutTyped()
    {
        (SessionStorageConnector c, FaultyStorage store, FaultObserver observer) = Create(o =>
        {
            o.CacheCapacity = 0;
            o.StorageTimeout = TimeSpan.FromMilliseconds(300);
        });
        using (c)
        {
            var timeouts = new MetricCounter(c.Meter, "sessionconnector.storage.timeouts");
            string id = SessionStorageConnector.GenerateId();
            Assert.True(await c.SetAsync(id, new SessionBag { ["v"] = 1 }));
            store.Mode = FaultMode.HangsIgnoringToken;
            var watch = Stopwatch.StartNew();
            SessionStorageException read = await Assert.ThrowsAsync<SessionStorageException>(async () => await c.GetAsync<SessionBag>(id));
            SessionStorageException write = await Assert.ThrowsAsync<SessionStorageException>(async () => await c.SetAsync(id, new SessionBag { ["v"] = 2 }));
            watch.Stop();
            Assert.True(read.IsTimeout);
            Assert.True(write.IsTimeout);
            Assert.Equal("read", read.Operation); // a Set reads the version first
            Assert.Contains("StorageTimeout", read.Message);
            // Two bounded calls: well under the 8 s a hung call took before (loaded machine: generous bound).
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
            Assert.Equal(2, timeouts.Total);
            Assert.Equal(2, observer.Failures.Count(f => f.Exception is SessionStorageException { IsTimeout: true }));

            store.ReleaseHungCalls();
            store.Mode = FaultMode.Healthy;
            Assert.Equal(1, Convert.ToInt32((await c.GetAsync<SessionBag>(id))!["v"]));
        }
    }

    [Fact]
    public async Task TheTimeoutCancelsTheTokenTheStoreWasGiven()
    {
        (SessionStorageConnector c, FaultyStorage store, _) = Create(o =>
        {
            o.CacheCapacity = 0;
            o.StorageTimeout = TimeSpan.FromMilliseconds(200);
        });
        using (c)
        {
            string id = SessionStorageConnector.GenerateId();
            store.Mode = FaultMode.HangsHonouringToken;
            SessionStorageException e = await Assert.ThrowsAsync<SessionStorageException>(async () => await c.GetAsync<SessionBag>(id));
            Assert.True(e.IsTimeout);
            // The store's own wait was cancelled, not just abandoned: the operation really stopped.
            Assert.True(SpinWait.SpinUntil(() => store.CancelledCalls == 1, TimeSpan.FromSeconds(5)));
        }
    }

    [Fact]
    public async Task TheCallersCancellationPassesThroughUntypedAndReachesTheStore()
    {
        (SessionStorageConnector c, FaultyStorage store, FaultObserver observer) = Create(o => o.CacheCapacity = 0);
        using (c)
        {
            store.Mode = FaultMode.HangsHonouringToken;
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await c.GetAsync<SessionBag>(SessionStorageConnector.GenerateId(), cts.Token));
            Assert.True(SpinWait.SpinUntil(() => store.CancelledCalls == 1, TimeSpan.FromSeconds(5)));
            Assert.Empty(observer.Failures); // the caller gave up: not a storage failure, nothing logged as one
        }
    }

    [Fact]
    public void TheDefaultTimeoutIsTenSecondsAndInvalidValuesAreRefused()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), new SessionConnectorOptions().StorageTimeout);
        Assert.Equal(TimeSpan.Zero, new SessionConnectorOptions().FailSafeMaxStaleness);
        Assert.Throws<ArgumentOutOfRangeException>(() => _env.Create(StorageKind.Memory, o => o.StorageTimeout = TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => _env.Create(StorageKind.Memory, o => o.FailSafeMaxStaleness = TimeSpan.FromSeconds(-1)));
        using SessionStorageConnector unbounded = _env.Create(StorageKind.Memory, o => o.StorageTimeout = Timeout.InfiniteTimeSpan);
        Assert.NotNull(unbounded);
    }

    [Fact]
    public async Task UnderRandomFaultsEveryAcknowledgedWriteSurvives()
    {
        var inner = new MemorySessionStorage(10_000, _env.Clock);
        var store = new FailingWrites(inner) { FailEvery = 3 };
        using SessionStorageConnector c = _env.Create(store, o => o.CacheCapacity = 0);
        string[] ids = Enumerable.Range(0, 20).Select(_ => SessionStorageConnector.GenerateId()).ToArray();
        var acknowledged = new int[ids.Length];
        int failed = 0;
        for (int round = 1; round <= 30; round++)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                try
                {
                    if (await c.SetAsync(ids[i], new SessionBag { ["n"] = round })) acknowledged[i] = round;
                }
                catch (SessionStorageException)
                {
                    failed++;
                }
            }
        }

        Assert.True(failed > 100, $"only {failed} faults injected");
        store.FailEvery = 0;
        for (int i = 0; i < ids.Length; i++) Assert.Equal(acknowledged[i], Convert.ToInt32(c.Get<SessionBag>(ids[i])!["n"]));
    }

    /// <summary>A store whose writes fail with an IOException before touching the record (as a full disk does).</summary>
    private sealed class FailingWrites(SessionStorage inner) : SessionStorage
    {
        private int _writes;

        public bool Failing { get; set; }

        public int FailEvery { get; set; }

        public override string Kind => "failing";

        public override StoredRecord? Read(string key) => inner.Read(key);

        public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
        {
            int n = Interlocked.Increment(ref _writes);
            if (Failing || (FailEvery > 0 && n % FailEvery == 0)) throw new IOException("No space left on device");
            return inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);
        }

        public override bool Delete(string key) => inner.Delete(key);

        public override void Clear() => inner.Clear();

        protected override void Dispose(bool disposing) { }
    }
}
