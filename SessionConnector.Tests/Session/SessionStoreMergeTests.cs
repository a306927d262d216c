using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Merging;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Session;

/// <summary>
/// SessionStore commits that race: merged member by member under <see cref="SessionConflictPolicy.Merge"/>, true
/// conflicts named, a deleted session never resurrected, and CycleId never losing a concurrent change.
/// </summary>
public sealed class SessionStoreMergeTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    private static SessionStoreOptions Options(SessionConflictPolicy policy = SessionConflictPolicy.Merge, SessionConflictResolver? resolver = null) =>
        new() { ConflictPolicy = policy, ConflictResolver = resolver, MaxMergeAttempts = 64 };

    private static string NewSession(SessionStorageConnector c, Action<MergeProfile>? init = null)
    {
        var s = new SessionStore<MergeProfile>(null, Options(), c);
        s.Data.Name = "start";
        init?.Invoke(s.Data);
        Assert.Equal(SessionCommitResult.Saved, s.Commit());
        return s.Id;
    }

    [Theory]
    [InlineData(StorageKind.Memory, false)]
    [InlineData(StorageKind.File, false)]
    [InlineData(StorageKind.Memory, true)]
    [InlineData(StorageKind.File, true)]
    public async Task ParallelCommitsOfDifferentMembersAndASumCounterKeepEveryChange(StorageKind kind, bool async)
    {
        using SessionStorageConnector c = _env.Create(kind);
        var seed = new SessionStore<MergeCounters>(null, Options(), c);
        seed.Data.Total = 100;
        seed.Commit();
        const int n = 8;

        // Every request loads the same version before any commits, so all but one commit lose the compare-and-set.
        var stores = Enumerable.Range(0, n).Select(_ => new SessionStore<MergeCounters>(seed.Id, Options(), c)).ToArray();
        foreach (var s in stores) s.Load();
        using var start = new Barrier(n);
        SessionCommitResult[] results = await Task.WhenAll(Enumerable.Range(0, n).Select(i => Task.Run(async () =>
        {
            stores[i].Data.Bump(i);
            stores[i].Data.Bump(i);
            stores[i].Data.Total += i + 1;
            start.SignalAndWait();
            return async ? await stores[i].CommitAsync() : stores[i].Commit();
        })));

        Assert.All(results, r => Assert.Equal(SessionCommitResult.Saved, r));
        MergeCounters final = c.Get<MergeCounters>(seed.Id)!;
        for (int i = 0; i < n; i++) Assert.Equal(2, final.Get(i));
        Assert.Equal(100 + (n * (n + 1) / 2), final.Total);
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public async Task RepeatedRacingRequestsIncrementingACounterLoseNoIncrement(StorageKind kind)
    {
        using SessionStorageConnector c = _env.Create(kind);
        var seed = new SessionStore<MergeCounters>(null, Options(), c);
        seed.Data.M0 = 1;
        seed.Commit();
        const int threads = 4, rounds = 40;
        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (int r = 0; r < rounds; r++)
            {
                var s = new SessionStore<MergeCounters>(seed.Id, Options(), c);
                s.Data.Total++;
                s.Data.Bump(t + 1);
                Assert.Equal(SessionCommitResult.Saved, s.Commit());
            }
        })));

        MergeCounters final = c.Get<MergeCounters>(seed.Id)!;
        Assert.Equal(threads * rounds, final.Total);
        for (int t = 1; t <= threads; t++) Assert.Equal(rounds, final.Get(t));
    }

    [Fact]
    public void ATrueConflictIsReportedNamingTheMembersAndNothingIsWritten()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.File);
        string id = NewSession(c);
        var a = new SessionStore<MergeProfile>(id, Options(), c);
        var b = new SessionStore<MergeProfile>(id, Options(), c);
        a.Data.Level = 1;
        a.Data.Clicks = 5;
        a.Data.Address = new MergeAddress { City = "a" };
        b.Data.Level = 2;
        b.Data.Address = new MergeAddress { City = "b" };
        b.Data.Clicks = 7;
        Assert.Equal(SessionCommitResult.Saved, a.Commit());
        Assert.Equal(SessionCommitResult.Conflict, b.Commit());
        Assert.Equal(["Level", "Address"], b.Conflicts);
        Assert.Equal(2, b.Data.Level); // the request keeps its own values to show or retry

        MergeProfile stored = c.Get<MergeProfile>(id)!;
        Assert.Equal(1, stored.Level);
        Assert.Equal("a", stored.Address!.City);
        Assert.Equal(5, stored.Clicks);

        a.Data.Name = "again";
        Assert.Equal(SessionCommitResult.Saved, a.Commit());
        Assert.Empty(a.Conflicts);
    }

    [Fact]
    public void AResolverSettlesTrueConflicts()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.Memory);
        string id = NewSession(c);
        SessionConflictResolver keepMine = (_, member) => member == "Level" ? SessionConflictResolution.KeepMine : SessionConflictResolution.Reject;
        var a = new SessionStore<MergeProfile>(id, Options(), c);
        var b = new SessionStore<MergeProfile>(id, Options(resolver: keepMine), c);
        a.Data.Level = 1;
        a.Data.Tags.Add("a");
        b.Data.Level = 2;
        b.Data.Tags.Add("b");
        a.Commit();
        Assert.Equal(SessionCommitResult.Saved, b.Commit());
        MergeProfile stored = c.Get<MergeProfile>(id)!;
        Assert.Equal(2, stored.Level);
        Assert.Equal(["a", "b"], stored.Tags.Order());
    }

    [Fact]
    public void RejectPolicyNeverMerges()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.Memory);
        string id = NewSession(c);
        var a = new SessionStore<MergeProfile>(id, Options(), c);
        var b = new SessionStore<MergeProfile>(id, Options(SessionConflictPolicy.Reject), c);
        a.Data.Level = 1;
        b.Data.Name = "b";
        a.Commit();
        Assert.Equal(SessionCommitResult.Conflict, b.Commit());
        Assert.Empty(b.Conflicts);
        Assert.Equal("start", c.Get<MergeProfile>(id)!.Name);
    }

    [Fact]
    public void LastWriterWinsPolicyOverwritesTheNewerWrite()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.Memory);
        string id = NewSession(c);
        var a = new SessionStore<MergeProfile>(id, Options(), c);
        var b = new SessionStore<MergeProfile>(id, Options(SessionConflictPolicy.LastWriterWins), c);
        a.Data.Level = 1;
        b.Data.Name = "b";
        a.Commit();
        Assert.Equal(SessionCommitResult.Saved, b.Commit());
        MergeProfile stored = c.Get<MergeProfile>(id)!;
        Assert.Equal("b", stored.Name);
        Assert.Equal(0, stored.Level);
    }

    [Theory]
    [InlineData(SessionConflictPolicy.Merge)]
    [InlineData(SessionConflictPolicy.LastWriterWins)]
    public void ADeletedSessionStaysDeletedWhateverThePolicy(SessionConflictPolicy policy)
    {
        using SessionStorageConnector c = _env.Create(StorageKind.File);
        string id = NewSession(c);
        var a = new SessionStore<MergeProfile>(id, Options(policy), c);
        var b = new SessionStore<MergeProfile>(id, Options(), c);
        a.Data.Level = 1;
        b.Data.Name = "b";
        b.Commit();
        new SessionStore<MergeProfile>(id, Options(), c).Destroy();
        Assert.Equal(SessionCommitResult.Deleted, a.Commit());
        Assert.Null(c.Get<MergeProfile>(id));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AMergeNeverResurrectsASessionDeletedBetweenTheConflictAndTheRetry(bool cache)
    {
        // With a cache the conflict is seen before sealing (the other request's commit is cached); without one the
        // compare-and-set is lost and the record read back. Either way the merged retry must not recreate a deleted session.
        var storage = new DeleteBeforeRetryStorage(_env.CreateStorage(StorageKind.Memory));
        using SessionStorageConnector c = _env.Create(storage, o => o.CacheCapacity = cache ? 1024 : 0);
        (string id, SessionStore<MergeProfile> a) = LoadedByTwoRequestsTheOtherCommittedFirst(c);

        storage.Armed = true;
        Assert.Equal(SessionCommitResult.Deleted, a.Commit());
        Assert.True(storage.Deleted, "the delete was not staged before the merged retry");
        Assert.Null(c.Get<MergeProfile>(id));
    }

    [Fact]
    public void ALostCompareAndSetReadsTheRecordOnceAndMergesWhatItRead()
    {
        // Before: the write read the record to tell a conflict from a delete, then the store read (and decrypted) it again.
        var storage = new RecordingStorage(_env.CreateStorage(StorageKind.Memory));
        using SessionStorageConnector c = _env.Create(storage, o => o.CacheCapacity = 0);
        (string id, SessionStore<MergeProfile> a) = LoadedByTwoRequestsTheOtherCommittedFirst(c);

        int keys = storage.Keys.Count, writes = storage.Values.Count;
        Assert.Equal(SessionCommitResult.Saved, a.Commit());
        int commitWrites = storage.Values.Count - writes;
        Assert.Equal(2, commitWrites); // the lost compare-and-set and the merged retry
        Assert.Equal(1, storage.Keys.Count - keys - commitWrites);
        MergeProfile merged = c.Get<MergeProfile>(id)!;
        Assert.Equal((1, "b"), (merged.Level, merged.Name));
    }

    [Fact]
    public void ACommitBehindTheCachedVersionSealsOnlyTheMergedRecord()
    {
        // Another request of this process committed a newer version: the cache knows the compare-and-set would fail,
        // so the commit merges with the cached copy and writes once (before: a sealed record thrown away, then a read).
        var storage = new RecordingStorage(_env.CreateStorage(StorageKind.Memory));
        using SessionStorageConnector c = _env.Create(storage);
        (string id, SessionStore<MergeProfile> a) = LoadedByTwoRequestsTheOtherCommittedFirst(c);

        int keys = storage.Keys.Count, writes = storage.Values.Count;
        Assert.Equal(SessionCommitResult.Saved, a.Commit());
        Assert.Equal(1, storage.Values.Count - writes);
        Assert.Equal(1, storage.Keys.Count - keys); // that write, and no read
        MergeProfile merged = c.Get<MergeProfile>(id)!;
        Assert.Equal((1, "b"), (merged.Level, merged.Name));
    }

    /// <summary>Two requests load one session; the other one (setting Name) commits first, so a's commit (Level) conflicts.</summary>
    private static (string Id, SessionStore<MergeProfile> A) LoadedByTwoRequestsTheOtherCommittedFirst(SessionStorageConnector c)
    {
        string id = NewSession(c);
        var a = new SessionStore<MergeProfile>(id, Options(), c);
        a.Data.Level = 1;
        var b = new SessionStore<MergeProfile>(id, Options(), c);
        b.Data.Name = "b";
        Assert.Equal(SessionCommitResult.Saved, b.Commit());
        return (id, a);
    }

    /// <summary>Once armed, deletes the record just before the first write that would succeed: the merged retry.</summary>
    private sealed class DeleteBeforeRetryStorage(SessionConnector.Storage.SessionStorage inner) : SessionConnector.Storage.SessionStorage
    {
        public bool Armed { get; set; }

        public bool Deleted { get; private set; }

        public override string Kind => inner.Kind;

        public override SessionConnector.Storage.StoredRecord? Read(string key) => inner.Read(key);

        public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
        {
            if (Armed && inner.Read(key)?.Version == expectedVersion)
            {
                Armed = false;
                Deleted = inner.Delete(key);
            }

            return inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);
        }

        public override bool Delete(string key) => inner.Delete(key);

        public override void Clear() => inner.Clear();
    }

    [Fact]
    public void CycleIdDoesNotLoseAChangeCommittedBetweenItsLoadAndTheCycle()
    {
        // Regression (issue 11, item 11): CycleId copied what it loaded and deleted the old ID unconditionally.
        using SessionStorageConnector c = _env.Create(StorageKind.File);
        var login = new SessionStore<Counter>(null, null, c);
        login.Data.Value = 1;
        login.Commit();
        string old = login.Id;

        var cycling = new SessionStore<Counter>(old, null, c);
        cycling.Load();
        var other = new SessionStore<Counter>(old, null, c);
        other.Data.Log.Add("other");
        Assert.Equal(SessionCommitResult.Saved, other.Commit());

        cycling.CycleId();

        bool keptUnderCurrentId = c.Get<Counter>(cycling.Id)?.Log.Contains("other") == true;
        bool keptUnderOldId = c.Get<Counter>(old)?.Log.Contains("other") == true;
        Assert.True(keptUnderCurrentId || keptUnderOldId, "the other request's change was lost");
        if (cycling.Id != old) Assert.Null(c.Get<Counter>(old)); // when it cycled, the old ID is gone
    }

    [Fact]
    public void CycleIdMergesAConcurrentChangeAndThenDeletesTheOldId()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.File);
        var seed = new SessionStore<MergeCounters>(null, Options(), c);
        seed.Data.M0 = 1;
        seed.Commit();
        string old = seed.Id;
        var cycling = new SessionStore<MergeCounters>(old, Options(), c);
        cycling.Data.M1 = 5;
        var other = new SessionStore<MergeCounters>(old, Options(), c);
        other.Data.M2 = 7;
        other.Commit();

        Assert.Equal(SessionCommitResult.Saved, cycling.CycleId());
        Assert.NotEqual(old, cycling.Id);
        Assert.Null(c.Get<MergeCounters>(old));
        MergeCounters moved = c.Get<MergeCounters>(cycling.Id)!;
        Assert.Equal((1, 5, 7), (moved.M0, moved.M1, moved.M2));
    }

    [Fact]
    public async Task CycleIdReportsAConflictItCannotMergeAndChangesNothing()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.Memory);
        var login = new SessionStore<Counter>(null, null, c);
        login.Data.Value = 1;
        login.Commit();
        string old = login.Id;
        var cycling = new SessionStore<Counter>(old, null, c);
        cycling.Data.Value = 2;
        var other = new SessionStore<Counter>(old, null, c);
        other.Data.Value = 3;
        other.Commit();

        Assert.Equal(SessionCommitResult.Conflict, await cycling.CycleIdAsync());
        Assert.Equal(old, cycling.Id);
        Assert.Equal(["(value)"], cycling.Conflicts);
        Assert.Equal(3, c.Get<Counter>(old)!.Value);
        Assert.Equal(2, cycling.Data.Value);
        Assert.Equal(SessionCommitResult.Conflict, cycling.Commit()); // still based on the version it loaded
    }

    [Fact]
    public void CycleIdAfterALogoutReportsDeletedAndLeavesNoCopy()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.Memory);
        var login = new SessionStore<Counter>(null, null, c);
        login.Data.Value = 1;
        login.Commit();
        var cycling = new SessionStore<Counter>(login.Id, null, c);
        cycling.Load();
        new SessionStore<Counter>(login.Id, null, c).Destroy();

        Assert.Equal(SessionCommitResult.Deleted, cycling.CycleId());
        Assert.Null(c.Get<Counter>(cycling.Id));
        Assert.Null(c.Get<Counter>(login.Id));
        Assert.True(cycling.IsDestroyed);
    }

    [Fact]
    public void TwoProcessesCommittingDifferentMembersAndACounterOnFileStorageLoseNothing()
    {
        string dir = System.IO.Path.Combine(_env.Directory, "shared");
        using SessionStorageConnector c = TestWorker.Open(dir);
        var seed = new SessionStore<MergeCounters>(null, Options(), c);
        seed.Data.M7 = 1;
        seed.Commit();
        const int rounds = 60;

        using ChildProcess worker = ChildProcess.StartWorker("store-merge", dir, seed.Id, "0", rounds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        MergeWorker.Run(c, seed.Id, member: 1, rounds);
        worker.WaitForSuccess(TimeSpan.FromMinutes(2));

        MergeCounters final = c.Get<MergeCounters>(seed.Id)!;
        Assert.Equal((rounds, rounds, 1, 2L * rounds), (final.M0, final.M1, final.M7, final.Total));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CommitsOfOneSessionQueueInTheConnectorWithoutAWebHost(bool async)
    {
        // A console or game server: SessionStore and the connector only, no web package. The second commit must wait in
        // the connector's writer gate while the first is inside its storage write, not reach the storage beside it.
        var storage = new WriteHoldingStorage(new MemorySessionStorage(1000, _env.Clock));
        using SessionStorageConnector c = _env.Create(storage);
        string id = NewSession(c);
        var first = new SessionStore<MergeProfile>(id, Options(), c);
        var second = new SessionStore<MergeProfile>(id, Options(), c);
        first.Data.Level = 5;
        second.Data.Clicks = 3;

        storage.HoldWrites();
        Task<SessionCommitResult> a = CommitOnOwnThread(first, async);
        Assert.True(storage.WriteEntered.Wait(TimeSpan.FromSeconds(30)), "the first commit never reached storage");
        Task<SessionCommitResult> b = CommitOnOwnThread(second, async);
        bool secondReachedStorage = SpinWait.SpinUntil(() => storage.WritesEntered > 1, TimeSpan.FromMilliseconds(500));
        Assert.False(secondReachedStorage, "the second commit wrote beside the first instead of queueing");
        Assert.False(b.IsCompleted);

        storage.ReleaseWrites();
        Assert.Equal(SessionCommitResult.Saved, await a);
        Assert.Equal(SessionCommitResult.Saved, await b);
        Assert.Equal(1, storage.MaxConcurrentWrites);
        var reread = new SessionStore<MergeProfile>(id, Options(), c);
        Assert.Equal(5, reread.Data.Level);
        Assert.Equal(3, reread.Data.Clicks);
    }

    // A dedicated thread per commit: a sync commit blocks its thread in the gate, and the pool must not decide the order.
    private static Task<SessionCommitResult> CommitOnOwnThread(SessionStore<MergeProfile> store, bool async) =>
        Task.Factory.StartNew(() => async ? store.CommitAsync().AsTask().GetAwaiter().GetResult() : store.Commit(),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>A backend (not "in memory", so the connector writes without looking first) whose writes can be held open.</summary>
    private sealed class WriteHoldingStorage(SessionStorage inner) : SessionStorage
    {
        private readonly ManualResetEventSlim _open = new(true);
        private int _writesEntered;
        private int _inFlight;
        private int _maxInFlight;

        public ManualResetEventSlim WriteEntered { get; } = new(false);

        public int WritesEntered => Volatile.Read(ref _writesEntered);

        public int MaxConcurrentWrites => Volatile.Read(ref _maxInFlight);

        public override string Kind => inner.Kind;

        public void HoldWrites()
        {
            _open.Reset();
            Interlocked.Exchange(ref _writesEntered, 0);
        }

        public void ReleaseWrites() => _open.Set();

        public override StoredRecord? Read(string key) => inner.Read(key);

        public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
        {
            int inFlight = Interlocked.Increment(ref _inFlight);
            int max;
            while (inFlight > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, inFlight, max) != max)
            {
            }

            Interlocked.Increment(ref _writesEntered);
            WriteEntered.Set();
            try
            {
                Assert.True(_open.Wait(TimeSpan.FromSeconds(30)), "writes were held for too long");
                return inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public override bool Delete(string key) => inner.Delete(key);

        public override void Clear() => inner.Clear();
    }
}
