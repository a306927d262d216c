using System;
using System.IO;
using System.Runtime.Versioning;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Protection;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Storage;

/// <summary>The file store's shared change table: where it lives, what moves it, and how a bad one is refused.</summary>
[UnsupportedOSPlatform("windows")] // the permission checks are POSIX ones
public sealed class ChangeTableTests : IDisposable
{
    private const string Key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private readonly TestConnectors _env = new();
    private readonly string _dir;

    public ChangeTableTests() => _dir = Path.Combine(_env.Directory, "store");

    public void Dispose() => _env.Dispose();

    private string TablePath => Path.Combine(_dir, ".locks", ChangeTable.FileName);

    private FileSessionStorage Open(bool useTable = true) =>
        new(_dir, new FileSessionStorageOptions { Durability = FileDurability.ProcessCrash, TimeProvider = _env.Clock, SweepInterval = TimeSpan.Zero, UseChangeTable = useTable });

    [Fact]
    public void TheTableIsAPrivateFileOfItsExactSizeSharedByEveryStoreOnTheDirectory()
    {
        using FileSessionStorage first = Open();
        using FileSessionStorage second = Open();
        Assert.NotNull(first.Changes);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(TablePath));
        Assert.Equal(ChangeTable.FileSize, new FileInfo(TablePath).Length);

        int slot = ChangeTable.SlotOf(Key);
        long before = second.Changes!.Stamp(slot);
        Assert.True(first.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 5));
        Assert.Equal(before + 2, second.Changes.Stamp(slot)); // one mapping: the other store sees the write at once
    }

    [Fact]
    public void EveryRecordChangeMovesItsSlotByTwoAndLeavesItEven()
    {
        using FileSessionStorage store = Open();
        ChangeTable table = store.Changes!;
        int slot = ChangeTable.SlotOf(Key);
        long stamp = table.Stamp(slot);

        void Moved(string what)
        {
            long now = table.Stamp(slot);
            Assert.True(now == stamp + 2, $"{what}: the slot went from {stamp} to {now}");
            stamp = now;
        }

        Assert.True(store.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 5));
        Moved("write");
        Assert.False(store.TryWrite(Key, new byte[] { 2 }, null, 4, 6));
        Assert.Equal(stamp, table.Stamp(slot)); // a refused compare-and-set changes nothing
        Assert.True(store.TryWrite(Key, new byte[] { 2 }, null, 5, 6));
        Moved("compare-and-set");
        Assert.True(store.TryDelete(Key, 6));
        Moved("TryDelete");
        Assert.True(store.TryWrite(Key, new byte[] { 3 }, null, SessionStorage.AnyVersion, 7));
        Moved("unconditional write");
        Assert.True(store.Delete(Key));
        Moved("delete");
        Assert.True(store.TryWrite(Key, new byte[] { 3 }, DateTimeOffset.UtcNow.AddYears(5), SessionStorage.Absent, 8));
        Moved("write with expiry");
        store.Clear();
        Moved("clear");
        Assert.True(store.TryWrite(Key, new byte[] { 4 }, _env.Clock.GetUtcNow().AddSeconds(1), SessionStorage.Absent, 9));
        Moved("write expiring");
        _env.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, store.PurgeExpired());
        Moved("purge");
        Assert.True(store.TryWrite(Key, new byte[] { 4 }, _env.Clock.GetUtcNow().AddSeconds(1), SessionStorage.Absent, 10));
        Moved("write expiring again");
        _env.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, store.SweepOnce());
        Moved("sweep");
        Assert.True(store.TryWrite(Key, new byte[] { 5 }, _env.Clock.GetUtcNow().AddSeconds(1), SessionStorage.Absent, 11));
        Moved("write expiring once more");
        _env.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(store.Read(Key)); // an expired record found by a read is removed, and that removal is a change too
        Moved("expired read");
    }

    [Fact]
    public void AnOddSlotLeftByACrashedWriterIsNotServedFromTheCacheUntilItsNextChange()
    {
        using SessionStorageConnector c = _env.Create(Open(), o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        var hits = new MetricCounter(c.Meter, "sessionconnector.cache.hits");
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 1 });
        Assert.Equal(1, c.Get<Counter>(id)!.Value);
        Assert.Equal(1, hits.Total); // stamped by its own write: the read after it is a hit

        // A writer of another process that died between its two increments: the slot stays odd.
        ChangeTable table = c.Storage.Changes!;
        int slot = ChangeTable.SlotOf(StorageKeyOf(id));
        table.BeginChange(slot);
        for (int i = 0; i < 5; i++) Assert.Equal(1, c.Get<Counter>(id)!.Value);
        Assert.Equal(1, hits.Total);

        // Another process that opens the store later does not trust the slot either.
        using (SessionStorageConnector other = _env.Create(Open(), o => o.CacheMaxAge = TimeSpan.FromMinutes(5)))
        {
            var otherHits = new MetricCounter(other.Meter, "sessionconnector.cache.hits");
            for (int i = 0; i < 3; i++) Assert.Equal(1, other.Get<Counter>(id)!.Value);
            Assert.Equal(0, otherHits.Total);
        }

        // The next change moves the odd slot by three: odd while it runs, even (trusted again) once it is done. Its own
        // write's stamp was odd, so the read after it is a miss, and the one after that a hit.
        long odd = table.Stamp(slot);
        c.Set(id, new Counter { Value = 2 });
        Assert.Equal(odd + 3, table.Stamp(slot));
        Assert.Equal(2, c.Get<Counter>(id)!.Value);
        Assert.Equal(1, hits.Total);
        Assert.Equal(2, c.Get<Counter>(id)!.Value);
        Assert.Equal(2, hits.Total);
    }

    [Fact]
    public void ASecondWriterDyingMidChangeOnASlotLeftOddNeverLeavesAStaleCopyServed()
    {
        using SessionStorageConnector c = _env.Create(Open(), o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 1 });
        ChangeTable table = c.Storage.Changes!;
        int slot = ChangeTable.SlotOf(StorageKeyOf(id));

        // A writer of another process died between its two increments (the slot is left odd); a second one starts its change
        // (its first increment), this process reads the record before the second one's write lands, and the second one dies
        // after its write, before its second increment: modelled by a store without the table, whose write moves no slot.
        table.BeginChange(slot);
        table.BeginChange(slot);
        Assert.Equal(1, c.Get<Counter>(id)!.Value);
        using (SessionStorageConnector killed = _env.Create(Open(useTable: false))) Assert.True(killed.Set(id, new Counter { Value = 2 }));

        // The file holds 2, and every other process reads 2: so must this one.
        Assert.Equal(2, c.Get<Counter>(id)!.Value);
    }

    [Fact]
    public void CachedHitsOfBoundSessionsNeedNoStorageOperationWhileTheTableHoldsStill()
    {
        using SessionStorageConnector c = _env.Create(Open(), o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        var ops = new MetricCounter(c.Meter, "sessionconnector.storage.operations");
        string id = BoundAndCached(c);
        long settled = ops.Total;
        for (int i = 0; i < 10; i++) Assert.Equal(1, c.Get<Counter>(id)!.Value);
        Assert.Equal(settled, ops.Total);

        c.SignOutEverywhere("ada");
        Assert.Null(c.Get<Counter>(id));
    }

    [Fact]
    public void ACachedSessionIsServedWithoutStorageRightAfterBindPrincipal()
    {
        using SessionStorageConnector c = _env.Create(Open(), o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        var ops = new MetricCounter(c.Meter, "sessionconnector.storage.operations");
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 1 });
        Assert.True(c.BindPrincipal(id, "ada"));
        long bound = ops.Total;
        for (int i = 0; i < 3; i++) Assert.Equal(1, c.Get<Counter>(id)!.Value);
        Assert.Equal(bound, ops.Total);

        // Served as bound: a sign-out everywhere ends it.
        c.SignOutEverywhere("ada");
        Assert.Null(c.Get<Counter>(id));
    }

    [Fact]
    public void ASessionStoreLoginIsServedWithoutStorageAfterItsCommit()
    {
        // The request-scoped path binds by sealing the stamp into its commit, which caches what it wrote.
        using SessionStorageConnector c = _env.Create(Open(), o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        var ops = new MetricCounter(c.Meter, "sessionconnector.storage.operations");
        var login = new SessionStore<Counter>(null, null, c);
        login.Data.Value = 1;
        login.BindPrincipal("ada");
        Assert.Equal(SessionCommitResult.Saved, login.Commit());
        long committed = ops.Total;
        for (int i = 0; i < 3; i++) Assert.Equal(1, c.Get<Counter>(login.Id)!.Value);
        Assert.Equal(committed, ops.Total);
    }

    [Fact]
    public void AnUncachedSessionIsCachedByTheFirstReadAfterBindPrincipal()
    {
        using SessionStorageConnector writer = _env.Create(Open());
        using SessionStorageConnector c = _env.Create(Open(), o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        var ops = new MetricCounter(c.Meter, "sessionconnector.storage.operations");
        string id = SessionStorageConnector.GenerateId();
        writer.Set(id, new Counter { Value = 1 }); // another process's session: nothing of it is cached here
        Assert.True(c.BindPrincipal(id, "ada"));
        Assert.Equal(1, c.Get<Counter>(id)!.Value); // reads the bound record, which outranks the bind's marker
        long settled = ops.Total;
        for (int i = 0; i < 3; i++) Assert.Equal(1, c.Get<Counter>(id)!.Value);
        Assert.Equal(settled, ops.Total);
    }

    [Fact]
    public void ASessionCachedByBindPrincipalYieldsToAnotherProcesssWriteAndDelete()
    {
        using SessionStorageConnector other = _env.Create(Open());
        using SessionStorageConnector c = _env.Create(Open(), o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 1 });
        Assert.True(c.BindPrincipal(id, "ada"));
        Assert.Equal(1, c.Get<Counter>(id)!.Value);

        Assert.True(other.Update<Counter>(id, x => x.Value = 2));
        Assert.Equal(2, c.Get<Counter>(id)!.Value);
        Assert.True(other.Delete(id));
        Assert.Null(c.Get<Counter>(id));
    }

    [Fact]
    public void WithoutTheTableABoundSessionHitReadsStorageEveryTime()
    {
        // The behaviour the table replaces, and what a store whose table cannot be opened still does.
        using SessionStorageConnector c = _env.Create(Open(useTable: false), o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        Assert.Null(c.Storage.Changes);
        var ops = new MetricCounter(c.Meter, "sessionconnector.storage.operations");
        string id = BoundAndCached(c);
        long before = ops.Total;
        Assert.Equal(1, c.Get<Counter>(id)!.Value);
        Assert.True(ops.Total >= before + 2, $"{ops.Total - before} storage operations"); // the generation and the version
    }

    [Fact]
    public void CacheMaxAgeStillBoundsAnEntryWhoseStampHolds()
    {
        using SessionStorageConnector c = _env.Create(Open(), o => o.CacheMaxAge = TimeSpan.FromSeconds(5));
        var misses = new MetricCounter(c.Meter, "sessionconnector.cache.misses");
        var ops = new MetricCounter(c.Meter, "sessionconnector.storage.operations");
        string id = BoundAndCached(c);
        c.Get<Counter>(id);
        long settled = misses.Total, settledOps = ops.Total;
        _env.Clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(1, c.Get<Counter>(id)!.Value);
        Assert.Equal(settled + 1, misses.Total);
        Assert.Equal(settledOps + 2, ops.Total); // the record and the principal's generation: neither is trusted past the bound
    }

    public static TheoryData<string> DamagedTables => new() { "empty-header", "wrong-size", "wrong-magic", "wrong-slot-count", "group-readable", "symbolic-link", "directory" };

    [Theory]
    [MemberData(nameof(DamagedTables))]
    public void ADamagedOrForeignTableIsIgnoredAndTheStoreWorksWithoutIt(string damage)
    {
        Directory.CreateDirectory(_dir);
        using (FileSessionStorage first = Open())
        {
            Assert.NotNull(first.Changes);
        }

        byte[] good = File.ReadAllBytes(TablePath);
        File.Delete(TablePath);
        switch (damage)
        {
            case "empty-header":
                // A creator that died before it wrote the header: taken over, as a new file would be.
                File.WriteAllBytes(TablePath, new byte[ChangeTable.FileSize]);
                File.SetUnixFileMode(TablePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                break;
            case "wrong-size":
                File.WriteAllBytes(TablePath, good.AsSpan(0, 4096).ToArray());
                File.SetUnixFileMode(TablePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                break;
            case "wrong-magic":
                good[0] ^= 0xFF;
                File.WriteAllBytes(TablePath, good);
                File.SetUnixFileMode(TablePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                break;
            case "wrong-slot-count":
                good[8] ^= 0x01;
                File.WriteAllBytes(TablePath, good);
                File.SetUnixFileMode(TablePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                break;
            case "group-readable":
                File.WriteAllBytes(TablePath, good);
                File.SetUnixFileMode(TablePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
                break;
            case "symbolic-link":
                string target = Path.Combine(_env.Directory, "elsewhere");
                File.WriteAllBytes(target, good);
                File.CreateSymbolicLink(TablePath, target);
                break;
            case "directory":
                Directory.CreateDirectory(TablePath);
                break;
        }

        using FileSessionStorage store = Open();
        if (damage == "empty-header")
        {
            Assert.NotNull(store.Changes);
        }
        else
        {
            Assert.Null(store.Changes);
        }

        // Fail closed either way: reads, writes and the cache work as on a store without a table.
        using SessionStorageConnector c = _env.Create(store);
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 7 });
        Assert.Equal(7, c.Get<Counter>(id)!.Value);
        Assert.True(c.Delete(id));
        Assert.Null(c.Get<Counter>(id));
        if (damage == "wrong-size") Assert.Equal(4096, new FileInfo(TablePath).Length); // ignored, never repaired
    }

    private static string StorageKeyOf(string id)
    {
        using var ring = SessionKeyRing.FromSecret(TestConnectors.Key);
        using var protector = new SessionProtector(ring);
        return protector.DeriveStorageKey(id);
    }

    /// <summary>A session bound to "ada" and cached in <paramref name="c"/>, read once.</summary>
    private static string BoundAndCached(SessionStorageConnector c)
    {
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 1 });
        Assert.True(c.BindPrincipal(id, "ada"));
        Assert.Equal(1, c.Get<Counter>(id)!.Value);
        return id;
    }
}
