using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Connector;

public sealed class SessionStorageConnectorTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    public static TheoryData<StorageKind> Kinds => new() { StorageKind.Memory, StorageKind.File };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SetThenGetReturnsTheStoredData(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new SessionBag { ["user"] = "ada", ["n"] = 3 }));

        SessionBag? got = c.Get<SessionBag>(id);

        Assert.NotNull(got);
        Assert.Equal("ada", got!["user"]);
        Assert.Equal(3L, got["n"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void GetOfAnUnknownSessionReturnsNull(StorageKind kind)
    {
        using var c = _env.Create(kind);
        Assert.Null(c.Get<SessionBag>(SessionStorageConnector.GenerateId()));
        Assert.False(c.TryGet<Counter>(SessionStorageConnector.GenerateId(), out _));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void WhenExpiredGetReturnsNullEvenFromTheCache(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 1 }, TimeSpan.FromMinutes(5));
        Assert.NotNull(c.Get<Counter>(id)); // warms the cache

        _env.Clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Null(c.Get<Counter>(id));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void UpdateMergesAndKeepsTheExpiry(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new SessionBag { ["a"] = 1, ["b"] = "x" }, TimeSpan.FromMinutes(10));
        _env.Clock.Advance(TimeSpan.FromMinutes(6));

        Assert.True(c.Update(id, new SessionBag { ["b"] = "y", ["c"] = true }));

        SessionBag got = c.Get<SessionBag>(id)!;
        Assert.Equal(1L, got["a"]);
        Assert.Equal("y", got["b"]);
        Assert.Equal(true, got["c"]);
        // The seed dropped the expiry on update; ours keeps the original deadline (10 min after Set).
        _env.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Null(c.Get<SessionBag>(id));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void UpdateOfAMissingSessionWritesNothing(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string id = SessionStorageConnector.GenerateId();
        Assert.False(c.Update<Counter>(id, x => x.Value++));
        Assert.Null(c.Get<Counter>(id));
    }

    [Fact]
    public void UpdateWithAnActionAllocatesNoWrapperPerCall()
    {
        // An Action<T> update reaches the core as is; wrapping it into a Func<T, T> cost a closure and a delegate per call
        // (88 bytes). The Func<T, T> update beside it does the same work with the same record, so it is the reference.
        using var c = _env.Create(StorageKind.Memory, o => o.TimeProvider = TimeProvider.System);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new Counter { Value = 0 }));
        Action<Counter> mutate = static x => x.Value++;
        Func<Counter, Counter> replace = static x =>
        {
            x.Value++;
            return x;
        };
        long warm = Allocated(() => c.Update(id, mutate), 10) + Allocated(() => c.Update(id, replace), 10); // JIT, pools

        long withAction = Allocated(() => c.Update(id, mutate), 100);
        long withFunction = Allocated(() => c.Update(id, replace), 100);

        Assert.True(warm > 0);
        Assert.True(withAction - withFunction < 100 * 24, $"Action updates allocated {withAction} B, Func updates {withFunction} B");
        Assert.Equal(220, c.Get<Counter>(id)!.Value);
    }

    [Fact]
    public void UpdateWithABagAllocatesNoWrapperPerCall()
    {
        // As above for the untyped merge: the changes reach the core as is, not captured in a lambda wrapped in another.
        using var c = _env.Create(StorageKind.Memory, o => o.TimeProvider = TimeProvider.System);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new SessionBag { ["a"] = 1L }));
        var changes = new SessionBag { ["a"] = 2L };
        Func<SessionBag, SessionBag> merge = bag =>
        {
            bag.Merge(changes);
            return bag;
        };
        Allocated(() => c.Update(id, changes), 10);
        Allocated(() => c.Update(id, merge), 10);

        long withBag = Allocated(() => c.Update(id, changes), 100);
        long withFunction = Allocated(() => c.Update(id, merge), 100);

        Assert.True(withBag - withFunction < 100 * 24, $"bag updates allocated {withBag} B, Func updates {withFunction} B");
        Assert.Equal(2L, c.Get<SessionBag>(id)!["a"]);
    }

    /// <summary>The bytes this thread allocated over <paramref name="count"/> updates (each must write).</summary>
    private static long Allocated(Func<bool> update, int count)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++)
        {
            if (!update()) throw new InvalidOperationException("The update wrote nothing.");
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DeleteRemovesFromStorageAndCache(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 7 });
        Assert.NotNull(c.Get<Counter>(id));

        Assert.True(c.Delete(id));

        Assert.Null(c.Get<Counter>(id));
        Assert.False(c.Delete(id));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ClearRemovesEverySession(StorageKind kind)
    {
        using var c = _env.Create(kind);
        var ids = Enumerable.Range(0, 20).Select(_ => SessionStorageConnector.GenerateId()).ToList();
        foreach (string id in ids) c.Set(id, new Counter { Value = 1 });
        foreach (string id in ids) Assert.NotNull(c.Get<Counter>(id));

        c.Clear();

        foreach (string id in ids) Assert.Null(c.Get<Counter>(id));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AsyncTwinsBehaveLikeTheSyncOperations(StorageKind kind)
    {
        await using var c = _env.Create(kind);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(await c.SetAsync(id, new Counter { Value = 1 }, TimeSpan.FromHours(1)));
        Assert.True(await c.UpdateAsync<Counter>(id, x => x.Value += 41));
        Assert.Equal(42, (await c.GetAsync<Counter>(id))!.Value);
        (bool found, Counter? value) = await c.TryGetAsync<Counter>(id);
        Assert.True(found);
        Assert.Equal(42, value!.Value);
        await c.SaveAsync();
        Assert.True(await c.DeleteAsync(id));
        Assert.Null(await c.GetAsync<Counter>(id));
        await c.SetAsync(id, new Counter());
        await c.ClearAsync();
        Assert.Null(await c.GetAsync<Counter>(id));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MutatingWhatGetReturnedDoesNotChangeWhatOthersRead(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string id = SessionStorageConnector.GenerateId();
        var original = new Counter { Value = 1, Log = { "a" } };
        c.Set(id, original);
        original.Value = 99; // mutating the caller's instance after Set must not leak either
        original.Log.Add("leak");

        Counter first = c.Get<Counter>(id)!;
        first.Value = 1000;
        first.Log.Add("mutated");
        Counter second = c.Get<Counter>(id)!;

        Assert.NotSame(first, second);
        Assert.Equal(1, second.Value);
        Assert.Equal(new[] { "a" }, second.Log);
    }

    [Fact]
    public void MemoryBackendBypassesTheCache()
    {
        using var memory = _env.Create(StorageKind.Memory);
        using var file = _env.Create(StorageKind.File);
        Assert.True(memory.UsesMemoryBackend);
        Assert.False(file.UsesMemoryBackend);

        var hits = new MetricCounter(memory.Meter, "sessionconnector.cache.hits");
        string id = SessionStorageConnector.GenerateId();
        memory.Set(id, new Counter());
        memory.Get<Counter>(id);
        memory.Get<Counter>(id);
        Assert.Equal(0, hits.Total);
    }

    [Fact]
    public void CacheAnswersRepeatedReadsAndCountsHitsAndMisses()
    {
        using var c = _env.Create(StorageKind.File);
        var hits = new MetricCounter(c.Meter, "sessionconnector.cache.hits");
        var misses = new MetricCounter(c.Meter, "sessionconnector.cache.misses");
        var ops = new MetricCounter(c.Meter, "sessionconnector.storage.operations");
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 5 });
        long opsAfterSet = ops.Total;

        for (int i = 0; i < 10; i++) Assert.Equal(5, c.Get<Counter>(id)!.Value);

        Assert.Equal(10, hits.Total);
        Assert.Equal(0, misses.Total);
        Assert.Equal(opsAfterSet, ops.Total); // no storage traffic for hits
    }

    [Fact]
    public void CacheEntriesOlderThanMaxAgeAreReloadedFromStorage()
    {
        using var c = _env.Create(StorageKind.File, o => o.CacheMaxAge = TimeSpan.FromSeconds(5));
        var misses = new MetricCounter(c.Meter, "sessionconnector.cache.misses");
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 5 });
        c.Get<Counter>(id);
        Assert.Equal(0, misses.Total);

        _env.Clock.Advance(TimeSpan.FromSeconds(6));
        c.Get<Counter>(id);

        Assert.Equal(1, misses.Total);
    }

    [Fact]
    public void CacheIsBoundedAndCountsEvictions()
    {
        using var c = _env.Create(StorageKind.File, o => o.CacheCapacity = 8);
        var evictions = new MetricCounter(c.Meter, "sessionconnector.cache.evictions");
        for (int i = 0; i < 20; i++) c.Set(SessionStorageConnector.GenerateId(), new Counter { Value = i });
        Assert.Equal(12, evictions.Total);
    }

    public static TheoryData<string> HostileIds => new()
    {
        "", "../etc/passwd", "..", ".", "a/b", "a\\b", "a\0b", "a b", " ", "\t", "a\nb", "ünï", "\u0430dmin", "%2e%2e%2f",
        "/absolute", "C:\\x", new string('a', 257), new string('x', 10_000), "a\u007fb",
    };

    [Theory]
    [MemberData(nameof(HostileIds))]
    public void HostileIdsAreRejectedBeforeAnyLookup(string id)
    {
        using var c = _env.Create(StorageKind.File);
        var ops = new MetricCounter(c.Meter, "sessionconnector.storage.operations");
        Assert.Throws<InvalidSessionIdException>(() => c.Get<Counter>(id));
        Assert.Throws<InvalidSessionIdException>(() => c.Set(id, new Counter()));
        Assert.Throws<InvalidSessionIdException>(() => c.Update<Counter>(id, x => x.Value++));
        Assert.Throws<InvalidSessionIdException>(() => c.Delete(id));
        Assert.Equal(0, ops.Total);
    }

    [Fact]
    public void NullIdThrowsArgumentNull()
    {
        using var c = _env.Create(StorageKind.Memory);
        Assert.Throws<ArgumentNullException>(() => c.Get<Counter>(null!));
    }

    [Fact]
    public void AWritersGateIsCreatedOnFirstUseAndRacingWritersAllGetTheSameOne()
    {
        // Gates are created lazily, per stripe: writers that race to a stripe's first use must still queue on one gate.
        using var c = _env.Create(StorageKind.Memory);
        int threads = Math.Max(4, Environment.ProcessorCount);
        for (int round = 0; round < 50; round++)
        {
            string id = SessionStorageConnector.GenerateId();
            var seen = new object[threads];
            using var start = new System.Threading.Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(t => new System.Threading.Thread(() =>
            {
                start.SignalAndWait();
                seen[t] = c.WriterGate(id);
            })).ToArray();
            foreach (var w in workers) w.Start();
            foreach (var w in workers) w.Join();
            Assert.All(seen, gate => Assert.Same(seen[0], gate));
            Assert.Same(seen[0], c.WriterGate(id));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void NonPositiveExpiryIsRejected(int seconds)
    {
        using var c = _env.Create(StorageKind.Memory);
        string id = SessionStorageConnector.GenerateId();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => c.Set(id, new Counter(), TimeSpan.FromSeconds(seconds)));
        Assert.Equal("expiry", e.ParamName);
        Assert.Contains($"it was {seconds} s", e.Message, StringComparison.Ordinal);
        Assert.Null(c.Get<Counter>(id));
    }

    [Fact]
    public void GeneratedIdsAre43UrlSafeCharactersAndDistinct()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => SessionStorageConnector.GenerateId()).ToHashSet();
        Assert.Equal(1000, ids.Count);
        Assert.All(ids, id =>
        {
            Assert.Equal(43, id.Length);
            Assert.Matches("^[A-Za-z0-9_-]{43}$", id);
        });
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ACorruptedRecordReadsAsAbsentIsRemovedAndCounted(StorageKind kind)
    {
        var storage = _env.CreateStorage(kind);
        using var c = _env.Create(storage, o => o.CacheCapacity = 0);
        var rejected = new MetricCounter(c.Meter, "sessionconnector.records.rejected");
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 1 });
        var spy = new RecordingStorage(storage);
        string key = FindOnlyKey(spy, id);
        StoredRecord record = storage.Read(key)!.Value;
        byte[] tampered = (byte[])record.Value.Clone();
        tampered[^1] ^= 1;
        storage.TryWrite(key, tampered, record.ExpiresAt, SessionStorage.AnyVersion, record.Version + 1);

        Assert.Null(c.Get<Counter>(id));
        Assert.Equal(1, rejected.Total);
        Assert.Null(storage.Read(key));
    }

    [Fact]
    public void StorageNeverSeesTheRawSessionIdOrPlaintext()
    {
        var spy = new RecordingStorage(new MemorySessionStorage());
        using var c = _env.Create(spy);
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new SessionBag { ["secret"] = "hunter2-plaintext" });
        c.Get<SessionBag>(id);
        c.Update(id, new SessionBag { ["more"] = "also-secret" });
        c.Delete(id);

        Assert.NotEmpty(spy.Keys);
        Assert.All(spy.Keys, k => Assert.DoesNotContain(id, k));
        Assert.All(spy.Values, v =>
        {
            string text = System.Text.Encoding.Latin1.GetString(v);
            Assert.DoesNotContain("hunter2", text);
            Assert.DoesNotContain("also-secret", text);
        });
    }

    [Fact]
    public void SwitchingFormatKeepsExistingSessionsReadable()
    {
        var storage = new FileSessionStorage(Path.Combine(_env.Directory, "fmt"), FileDurability.ProcessCrash, _env.Clock);
        string id = SessionStorageConnector.GenerateId();
        using (var json = _env.Create(storage, o => o.Format = SessionFormat.Json))
        {
            json.Set(id, new Counter { Value = 12, Log = { "j" } });
        }

        using var mp = _env.Create(new FileSessionStorage(Path.Combine(_env.Directory, "fmt"), FileDurability.ProcessCrash, _env.Clock));
        Counter got = mp.Get<Counter>(id)!;
        Assert.Equal(12, got.Value);
        Assert.Equal(new[] { "j" }, got.Log);
    }

    [Fact]
    public void WithTheJsonSwitchOffJsonIsRefusedAndJsonRecordsReadAsAbsent()
    {
        // In a child process: the switch is process-wide, and this process's other tests use JSON.
        string dir = Path.Combine(_env.Directory, "json-off");
        string id = SessionStorageConnector.GenerateId();
        using (var json = new SessionStorageConnector(new FileSessionStorage(dir),
                   new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(TestConnectors.Key), Format = SessionFormat.Json }))
        {
            json.Set(id, new Counter { Value = 1 });
        }

        using var worker = ChildProcess.StartWorker("json-disabled", dir, id);
        worker.WaitForSuccess(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void UsingAClosedConnectorThrowsAClearException()
    {
        var c = _env.Create(StorageKind.File);
        c.Close();
        var e = Assert.Throws<SessionStorageConnectorException>(() => c.Get<Counter>(SessionStorageConnector.GenerateId()));
        Assert.Contains("closed", e.Message);
    }

    [Fact]
    public void SessionsWrittenUnderOneKeyDoNotOpenUnderAnother()
    {
        var storage = new MemorySessionStorage();
        string id = SessionStorageConnector.GenerateId();
        var a = new SessionStorageConnector(storage, new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(TestConnectors.Key) });
        a.Set(id, new Counter { Value = 1 });
        byte[] other = (byte[])TestConnectors.Key.Clone();
        other[0] ^= 0xFF;
        var b = new SessionStorageConnector(storage, new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(other) });
        Assert.Null(b.Get<Counter>(id));
    }

    private static string FindOnlyKey(RecordingStorage spy, string id)
    {
        // Re-write through a spy to learn the derived key without exposing derivation in the public API.
        using var probe = new SessionStorageConnector(spy, new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(TestConnectors.Key) });
        probe.Get<Counter>(id);
        return spy.Keys.Single();
    }
}
