using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Diagnostics;
using SessionConnector.Protection;
using SessionConnector.Storage;
using SessionConnector.Tests.Generators;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Connector;

/// <summary>Regression tests for the integrity items of issue 11 (5–10, 12, 18); each failed before its fix.</summary>
public sealed class SessionStorageConnectorIntegrityTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    private static string KeyOf(string id)
    {
        using var ring = SessionKeyRing.FromSecret(TestConnectors.Key);
        using var protector = new SessionProtector(ring);
        return protector.DeriveStorageKey(id);
    }

    private sealed class RecordingObserver : SessionConnectorObserver
    {
        public ConcurrentQueue<string> Rejections { get; } = new();

        public override void RecordRejected(string reason) => Rejections.Enqueue(reason);
    }

    // Issue 11, item 5.
    [Fact]
    public void ARecordThatAuthenticatesButDoesNotDecodeForTheReadersTypeReadsAsAbsentAndIsNotDeleted()
    {
        var observer = new RecordingObserver();
        var memory = new MemorySessionStorage(100, _env.Clock);
        using SessionStorageConnector c = _env.Create(memory, o => o.Observer = observer);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new SessionBag { ["Value"] = "not a number" }));

        Assert.False(c.TryGet<Counter>(id, out _));

        Assert.NotNull(memory.Read(KeyOf(id)));
        Assert.Equal("not a number", c.Get<SessionBag>(id)!["Value"]);
        Assert.Equal(new[] { "undecodable" }, observer.Rejections);
    }

    // Issue 11, item 6.
    [Fact]
    public void ARejectedRecordIsEvictedOnlyAtTheVersionThatWasRead()
    {
        var memory = new MemorySessionStorage(100, _env.Clock);
        var hooked = new HookedStorage(memory);
        using SessionStorageConnector reader = _env.Create(hooked, o => o.CacheCapacity = 0);
        using SessionStorageConnector otherNode = _env.Create(new HookedStorage(memory), o => o.CacheCapacity = 0);
        string id = SessionStorageConnector.GenerateId();
        string key = KeyOf(id);
        Assert.True(otherNode.Set(id, new Counter { Value = 1 }));
        StoredRecord stored = memory.Read(key)!.Value;
        byte[] tampered = (byte[])stored.Value.Clone();
        tampered[^1] ^= 1;
        Assert.True(memory.TryWrite(key, tampered, null, stored.Version, stored.Version + 1));

        // The reader has the tampered record in hand when the other node replaces it with a fresh, valid one.
        hooked.AfterNextRead(_ => Assert.True(otherNode.Set(id, new Counter { Value = 2 })));

        Assert.False(reader.TryGet<Counter>(id, out _));
        Counter? survivor = otherNode.Get<Counter>(id);
        Assert.NotNull(survivor);
        Assert.Equal(2, survivor.Value);
        Assert.Equal(2, reader.Get<Counter>(id)!.Value);
    }

    // Issue 11, item 7: the version is authenticated, so an edit of the storage header alone is a rejected record.
    [Fact]
    public void AHeaderOnlyVersionEditFailsAuthentication()
    {
        SessionStorage storage = _env.CreateStorage(StorageKind.File);
        using SessionStorageConnector c = _env.Create(storage, o => o.CacheCapacity = 0);
        var rejected = new MetricCounter(c.Meter, "sessionconnector.records.rejected");
        string id = SessionStorageConnector.GenerateId();
        string key = KeyOf(id);
        Assert.True(c.Set(id, new Counter { Value = 7 }));
        StoredRecord stored = storage.Read(key)!.Value;

        Assert.True(storage.TryWrite(key, stored.Value, stored.ExpiresAt, stored.Version, stored.Version + 1));

        Assert.Null(c.Get<Counter>(id));
        Assert.Equal(1, rejected.Total);
        Assert.Null(storage.Read(key));
    }

    // Issue 11, item 7: a version at long.MaxValue must not wrap the version arithmetic and keep a deleted session cached.
    [Fact]
    public void AHeaderVersionAtLongMaxValueNeverKeepsADeletedSessionInTheCache()
    {
        SessionStorage storage = _env.CreateStorage(StorageKind.File);
        using SessionStorageConnector c = _env.Create(storage);
        string id = SessionStorageConnector.GenerateId();
        string key = KeyOf(id);
        Assert.True(c.Set(id, new Counter { Value = 7 }));
        StoredRecord stored = storage.Read(key)!.Value;
        Assert.True(storage.TryWrite(key, stored.Value, stored.ExpiresAt, stored.Version, long.MaxValue));
        c.Clear(); // nothing cached: the next read goes to storage
        Assert.True(storage.TryWrite(key, stored.Value, stored.ExpiresAt, SessionStorage.Absent, long.MaxValue));

        c.Get<Counter>(id);
        c.Delete(id);

        Assert.Null(c.Get<Counter>(id));
        // The clock was not driven past the planted version: a new write still gets an ordinary version.
        Assert.True(c.Set(id, new Counter { Value = 8 }));
        Assert.InRange(storage.Read(key)!.Value.Version, 1, long.MaxValue / 2);
        Assert.Equal(8, c.Get<Counter>(id)!.Value);
    }

    // Issue 11, item 8.
    [Fact]
    public void AnInvalidationThatArrivesWhileAReadIsInFlightKeepsThatReadOutOfTheCache()
    {
        var memory = new MemorySessionStorage(100, _env.Clock);
        var shared = new HookedStorage(memory, raisesInvalidations: true);
        using SessionStorageConnector c = _env.Create(shared);
        string id = SessionStorageConnector.GenerateId();
        string key = KeyOf(id);
        // Written by another node: not in this node's cache.
        Assert.True(memory.TryWrite(key, Sealed(id, new Counter { Value = 1 }, 5), null, SessionStorage.Absent, 5));

        // Another node logs the session out, and announces it, while this node's read holds the old record.
        shared.AfterNextRead(k =>
        {
            memory.Delete(k);
            shared.Invalidate(k);
        });
        c.Get<Counter>(id);

        Assert.Null(c.Get<Counter>(id));
    }

    private static byte[] Sealed(string id, Counter value, long version)
    {
        using var ring = SessionKeyRing.FromSecret(TestConnectors.Key);
        using var protector = new SessionProtector(ring);
        byte[] payload = Serialization.SessionPayload.Encode(value, SessionFormat.MessagePack, null, null).ToArray();
        return protector.Protect(id, version, payload);
    }

    // Issue 11, item 9.
    [Fact]
    public void UpdateCachesAPrivateSnapshotNotTheInstanceTheDelegateSaw()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.File);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new Counter { Value = 1 }));
        Counter? seen = null;

        Assert.True(c.Update<Counter>(id, x =>
        {
            x.Value = 2;
            seen = x;
        }));
        seen!.Value = 999;
        seen.Log.Add("mutated after Update returned");

        Counter got = c.Get<Counter>(id)!;
        Assert.Equal(2, got.Value);
        Assert.Empty(got.Log);
    }

    // Issue 11, item 10.
    [Fact]
    public async Task ASetQueuedBehindAnUpdateDoesNotResurrectASessionDeletedAfterTheSetWasCalled()
    {
        var hooked = new HookedStorage(new MemorySessionStorage(100, _env.Clock));
        using SessionStorageConnector c = _env.Create(hooked);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new Counter { Value = 1 }));
        using var updating = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();

        // Dedicated threads (LongRunning), not pool threads: on a busy 2-core machine the pool may not start the Set
        // before the Delete, and then the test would check nothing.
        Task<bool> update = Task.Factory.StartNew(() => c.Update<Counter>(id, x =>
        {
            updating.Set();
            release.Wait();
            x.Value++;
        }), TaskCreationOptions.LongRunning);
        updating.Wait();
        int readsBefore = hooked.Reads;
        Task<bool> set = Task.Factory.StartNew(() => c.Set(id, new Counter { Value = 42 }), TaskCreationOptions.LongRunning);
        // The Set is queued behind the Update: it has looked at storage (noting the session live) before it waits.
        Assert.True(SpinWait.SpinUntil(() => hooked.Reads > readsBefore || set.IsCompleted, TimeSpan.FromSeconds(30)), "the Set never reached storage");
        Assert.False(set.IsCompleted, "the Set did not queue behind the Update");
        Thread.Sleep(50);
        Assert.True(c.Delete(id));
        release.Set();

        Assert.False(await update);
        Assert.False(await set);
        Assert.Null(c.Get<Counter>(id));
    }

    // Issue 11, item 12.
    [Fact]
    public void TheStorageKeyIndexNeverOutgrowsTheCache()
    {
        var shared = new HookedStorage(new MemorySessionStorage(1000, _env.Clock), raisesInvalidations: true);
        using SessionStorageConnector c = _env.Create(shared, o => o.CacheCapacity = 8);
        for (int i = 0; i < 100; i++)
        {
            string id = SessionStorageConnector.GenerateId();
            Assert.True(c.Set(id, new Counter { Value = i }, TimeSpan.FromSeconds(1)));
            _env.Clock.Advance(TimeSpan.FromSeconds(2));
            Assert.Null(c.Get<Counter>(id)); // the expired entry leaves the cache
        }

        Assert.InRange(IndexCount(c), 0, 8);
    }

    private static int IndexCount(SessionStorageConnector c)
    {
        // Private on purpose: the index is an implementation detail; its size is what the item is about.
        var index = (ConcurrentDictionary<string, string>)typeof(SessionStorageConnector)
            .GetField("_idsByStorageKey", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(c)!;
        return index.Count;
    }

    // Issue 11, item 18: a restored snapshot shows up as a wall-clock jump against the monotonic clock.
    [Fact]
    public void AWallClockJumpStartsANewEncryptionEpoch()
    {
        var memory = new MemorySessionStorage(100, _env.Clock);
        using SessionStorageConnector c = _env.Create(memory);
        string a = SessionStorageConnector.GenerateId(), b = SessionStorageConnector.GenerateId(), d = SessionStorageConnector.GenerateId();

        Assert.True(c.Set(a, new Counter()));
        Assert.True(c.Set(b, new Counter()));
        _env.Clock.Advance(TimeSpan.FromHours(1));
        Assert.True(c.Set(d, new Counter()));

        Assert.Equal(SaltOf(memory, a), SaltOf(memory, b));
        Assert.NotEqual(SaltOf(memory, a), SaltOf(memory, d));
        Assert.NotNull(c.Get<Counter>(a));
        Assert.NotNull(c.Get<Counter>(d));
    }

    // Issue 11, item 18: the explicit call for restores that keep both clocks in step.
    [Fact]
    public void StartNewEncryptionEpochChangesTheSaltOfLaterWrites()
    {
        var memory = new MemorySessionStorage(100, _env.Clock);
        using SessionStorageConnector c = _env.Create(memory);
        string a = SessionStorageConnector.GenerateId(), b = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(a, new Counter()));

        c.StartNewEncryptionEpoch();
        Assert.True(c.Set(b, new Counter()));

        Assert.NotEqual(SaltOf(memory, a), SaltOf(memory, b));
        Assert.NotNull(c.Get<Counter>(a));
    }

    private static string SaltOf(MemorySessionStorage storage, string id) =>
        Convert.ToHexString(storage.Read(KeyOf(id))!.Value.Value.AsSpan(EnvelopeFormat.SaltOffset, EnvelopeFormat.SaltSize));

    // Issue 17, item 1: a sync cache hit costs nothing beyond the caller's copy (none for a struct of numbers).
    [Fact]
    public void ASyncCacheHitAllocatesNothing()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.File);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new Point { X = 1, Y = 2 }));
        Assert.True(c.TryGet(id, out Point _)); // warm up: JIT, the storage-key cache

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) c.TryGet(id, out Point _);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    // Issue 18, "Set near its floor": a sync Set on memory storage allocates the envelope it stores and nothing else (the
    // store keeps the connector's array instead of copying it; the gate, version clock and metrics allocate nothing).
    [Fact]
    public void ASyncSetOnMemoryStorageAllocatesOnlyTheStoredEnvelope()
    {
        var memory = new MemorySessionStorage(100, _env.Clock);
        using SessionStorageConnector c = _env.Create(memory);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new Point { X = 1, Y = 2 }, TimeSpan.FromHours(1))); // warm up: JIT, storage key, epoch
        Assert.True(c.Set(id, new Point { X = 3, Y = 4 }, TimeSpan.FromHours(1)));
        int envelopeLength = memory.Read(KeyOf(id))!.Value.Value.Length;

        const int Sets = 100;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Sets; i++) c.Set(id, new Point { X = i, Y = 2 }, TimeSpan.FromHours(1));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // One byte[] per Set: its length plus the array header (24 bytes on 64-bit), rounded up to 8.
        long perEnvelope = (24 + envelopeLength + 7) / 8 * 8;
        Assert.Equal(Sets * perEnvelope, allocated);
        Assert.True(c.TryGet(id, out Point last));
        Assert.Equal(Sets - 1, last.X);
    }
}
