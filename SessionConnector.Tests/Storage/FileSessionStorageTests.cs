using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.Versioning;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Win32.SafeHandles;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Storage;

[UnsupportedOSPlatform("windows")] // the permission checks are POSIX ones
public sealed class FileSessionStorageTests : IDisposable
{
    private const string Key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private readonly TestConnectors _env = new();
    private readonly string _dir;

    public FileSessionStorageTests() => _dir = Path.Combine(_env.Directory, "files");

    public void Dispose() => _env.Dispose();

    // The background sweep is off unless a test is about it: these tests watch expired records on their own.
    private FileSessionStorage Open(FileOperations? ops = null, FileDurability durability = FileDurability.PowerLoss, string? directory = null) =>
        new(directory ?? _dir, new FileSessionStorageOptions { Durability = durability, TimeProvider = _env.Clock, SweepInterval = TimeSpan.Zero }, ops ?? FileOperations.Default);

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;

    private string RecordFile => Path.Combine(_dir, Key + ".session");

    [Fact]
    public void FileNamesAreTheKeyNeverAnythingElse()
    {
        using var s = Open();
        s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        Assert.Equal(new[] { Key + ".session" }, Directory.GetFiles(_dir).Select(Path.GetFileName).ToArray());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("a.b")]
    public void KeysThatAreNotBase64UrlNeverReachTheFileSystem(string key)
    {
        using var s = Open();
        Assert.ThrowsAny<ArgumentException>(() => s.TryWrite(key, new byte[] { 1 }, null, SessionStorage.AnyVersion, 1));
        Assert.ThrowsAny<ArgumentException>(() => s.Read(key));
        Assert.False(File.Exists(Path.Combine(_env.Directory, "escape.session")));
    }

    [Fact]
    public void ExpiredRecordsReadAsAbsentAndAreRemovedLazily()
    {
        using var s = Open();
        s.TryWrite(Key, new byte[] { 1 }, _env.Clock.GetUtcNow().AddSeconds(10), SessionStorage.Absent, 1);
        _env.Clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Null(s.Read(Key));
        Assert.False(File.Exists(Path.Combine(_dir, Key + ".session")));
    }

    [Fact]
    public void PurgeRemovesOnlyExpiredRecords()
    {
        using var s = Open();
        string live = "B" + Key[1..];
        s.TryWrite(Key, new byte[] { 1 }, _env.Clock.GetUtcNow().AddSeconds(10), SessionStorage.Absent, 1);
        s.TryWrite(live, new byte[] { 1 }, _env.Clock.GetUtcNow().AddHours(1), SessionStorage.Absent, 1);
        _env.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, s.PurgeExpired());
        Assert.False(File.Exists(RecordFile));
        Assert.NotNull(s.Read(live));
    }

    [Fact]
    public void APurgeJudgesARecordByItsLiveSlotNotByTheOlderOne()
    {
        using var s = Open();
        // Slot 0 keeps the first write (an hour), slot 1 the live update (ten seconds): only the live one decides.
        Assert.True(s.TryWrite(Key, new byte[] { 1 }, _env.Clock.GetUtcNow().AddHours(1), SessionStorage.Absent, 1));
        Assert.True(s.TryWrite(Key, new byte[] { 2 }, _env.Clock.GetUtcNow().AddSeconds(10), 1, 2));
        _env.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, s.PurgeExpired());
        Assert.False(File.Exists(RecordFile));
    }

    [Fact]
    public async Task APurgePassesLiveRecordsByWithoutWaitingForAWriterThatHoldsTheirLock()
    {
        var ops = new BlockingFlushes();
        using var writer = Open(ops);
        using var purger = Open(); // another instance, as sessionctl in another process would be
        string expired = "B" + Key[1..];
        Assert.True(writer.TryWrite(Key, new byte[] { 1 }, _env.Clock.GetUtcNow().AddHours(1), SessionStorage.Absent, 1));
        Assert.True(writer.TryWrite(expired, new byte[] { 1 }, _env.Clock.GetUtcNow().AddSeconds(10), SessionStorage.Absent, 1));
        _env.Clock.Advance(TimeSpan.FromMinutes(1));

        // An update of the live record stops in its flush, holding the record's stripe locks.
        ops.Armed = true;
        Task<bool> update = Task.Run(() => writer.TryWrite(Key, new byte[] { 2 }, _env.Clock.GetUtcNow().AddHours(1), 1, 2));
        Assert.True(ops.InFlush.Wait(TimeSpan.FromSeconds(30)), "the update never reached its flush");
        try
        {
            // The live record's header says so: the purge passes it by instead of queueing behind the writer.
            int removed = await Task.Run(purger.PurgeExpired).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(1, removed);
            Assert.False(File.Exists(Path.Combine(_dir, expired + ".session")));
        }
        finally
        {
            ops.Release.Set();
        }

        Assert.True(await update.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(new byte[] { 2 }, purger.Read(Key)!.Value.Value);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { (byte)'S', (byte)'C', (byte)'F', (byte)'1', 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void AGarbageOrTornFileReadsAsAbsentAndIsRemoved(byte[] garbage)
    {
        using var s = Open();
        string path = Path.Combine(_dir, Key + ".session");
        File.WriteAllBytes(path, garbage);
        Assert.Null(s.Read(Key));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void OrphanedTempFilesOfDeadWritersAreRemovedOnOpen()
    {
        using (Open()) { }
        string tmp = Path.Combine(_dir, ".tmp");
        string orphan = Path.Combine(tmp, $"{Key}.999999999.{Guid.NewGuid():N}.tmp");
        string junk = Path.Combine(tmp, "junk.tmp");
        File.WriteAllBytes(orphan, new byte[] { 1 });
        File.WriteAllBytes(junk, new byte[] { 1 });

        using var s = Open();

        Assert.Empty(Directory.GetFiles(tmp));
    }

    [Fact]
    public void OpeningTheStoreAgainWhileARecordGrowsLeavesTheLiveWritersTempFileAlone()
    {
        // A second store over the same folder in the same process (two connectors, a maintenance job's own store) opened
        // while a write of a record that outgrew its slots has its temp file flushed and not yet renamed (the fsync makes
        // that window milliseconds wide): the temp file belongs to a live writer, and the open must not remove it.
        using (var first = Open()) first.TryWrite(Key, new byte[] { 7 }, null, SessionStorage.Absent, 1);
        using var s = Open(new BeforeRename(() => Open().Dispose()));

        Assert.True(s.TryWrite(Key, new byte[5000], null, 1, 2));
        Assert.Equal(5000, s.Read(Key)!.Value.Value.Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, ".tmp")));
    }

    [Fact]
    public async Task AListingWaitsForARecordBeingCreatedAtItsPathInsteadOfHandingItOnAsGarbage()
    {
        // A new record is created at its own path, so a reader can find it before it is whole. The connector's read calls
        // that absent (the write has not returned); a listing (what rotate, verify and stats walk) must not hand it on as
        // a damaged record: sessionctl would count a failure, and exit 1, for every login in flight.
        var ops = new PausedCreate();
        using var s = Open(ops);
        using var other = Open(); // another instance, as sessionctl's
        Task<bool> create = Task.Run(() => s.TryWrite(Key, new byte[] { 1, 2, 3 }, null, SessionStorage.Absent, 5));
        Assert.True(ops.Started.Wait(TimeSpan.FromMinutes(1)));

        Task<List<KeyValuePair<string, StoredRecord>>> listing = Task.Run(async () =>
        {
            var records = new List<KeyValuePair<string, StoredRecord>>();
            await foreach (KeyValuePair<string, StoredRecord> entry in other.EnumerateAsync()) records.Add(entry);
            return records;
        });
        // A listing that hands on what it found returns at once; one that waits for the creator's locks returns after it.
        await Task.WhenAny(listing, Task.Delay(TimeSpan.FromMilliseconds(500)));
        ops.Resume.Set();

        Assert.True(await create);
        KeyValuePair<string, StoredRecord> only = Assert.Single(await listing);
        Assert.Equal(5, only.Value.Version);
        Assert.Equal(new byte[] { 1, 2, 3 }, only.Value.Value.ToArray());
    }

    [Fact]
    public void ADiskFullDuringWriteThrowsAndKeepsThePreviousRecord()
    {
        using var s = Open(new FailingOperations { FailWrite = true });
        using (var ok = Open()) ok.TryWrite(Key, new byte[] { 7 }, null, SessionStorage.Absent, 1);

        var e = Assert.Throws<SessionStorageException>(() => s.TryWrite(Key, new byte[] { 8 }, null, 1, 2));
        Assert.Contains("previous record is intact", e.Message);
        Assert.Equal(new byte[] { 7 }, s.Read(Key)!.Value.Value);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, ".tmp")));
    }

    [Fact]
    public void AFailedFlushThrowsAndKeepsThePreviousRecord()
    {
        using (var ok = Open()) ok.TryWrite(Key, new byte[] { 7 }, null, SessionStorage.Absent, 1);
        using var s = Open(new FailingOperations { FailFlush = true });
        Assert.Throws<SessionStorageException>(() => s.TryWrite(Key, new byte[] { 8 }, null, 1, 2));
        Assert.Equal(new byte[] { 7 }, s.Read(Key)!.Value.Value);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, ".tmp")));
    }

    [Fact]
    public void AFailedRenameThrowsAndKeepsThePreviousRecord()
    {
        using (var ok = Open()) ok.TryWrite(Key, new byte[] { 7 }, null, SessionStorage.Absent, 1);
        using var s = Open(new FailingOperations { FailRename = true });
        // Larger than the record file's slots: a new file, renamed into place.
        Assert.Throws<SessionStorageException>(() => s.TryWrite(Key, new byte[5000], null, 1, 2));
        Assert.Equal(new byte[] { 7 }, s.Read(Key)!.Value.Value);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, ".tmp")));
    }

    [Fact]
    public void AnUpdateThatFailsHalfWrittenThrowsAndKeepsThePreviousRecord()
    {
        using (var ok = Open())
        {
            ok.TryWrite(Key, new byte[] { 6 }, null, SessionStorage.Absent, 1);
            ok.TryWrite(Key, new byte[] { 7 }, null, 1, 2); // both slots hold a record: the failing write overwrites the older
        }

        using var s = Open(new FailingOperations { FailWrite = true });
        var e = Assert.Throws<SessionStorageException>(() => s.TryWrite(Key, Enumerable.Repeat((byte)8, 300).ToArray(), null, 2, 3));
        Assert.Contains("the previous record is intact", e.Message);
        StoredRecord record = s.Read(Key)!.Value;
        Assert.Equal(new byte[] { 7 }, record.Value);
        Assert.Equal(2, record.Version);
        using var reopened = Open();
        Assert.True(reopened.TryWrite(Key, new byte[] { 9 }, null, 2, 3));
        Assert.Equal(new byte[] { 9 }, reopened.Read(Key)!.Value.Value);
    }

    [Fact]
    public async Task AsyncDurableWritesAndDeletesFsyncOnADurableIoThreadNotThePool()
    {
        // On Unix an "async" fsync blocks its thread; on the pool that starved a web app's concurrent writes (issue 27).
        var ops = new FailingOperations();
        using var s = Open(ops);
        Assert.True(await s.TryWriteAsync(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.True(await s.DeleteAsync(Key));
        Assert.Equal(["SessionConnector durable I/O"], ops.FlushThreads.Distinct());
        Assert.Equal(3, ops.FlushThreads.Count); // the record's fsync and the directory's, then the delete's directory fsync

        // Sync writes block their caller, as asked; writes without fsyncs are short and stay inline too.
        s.TryWrite(Key, new byte[] { 2 }, null, SessionStorage.Absent, 2);
        Assert.DoesNotContain("SessionConnector durable I/O", ops.FlushThreads.Skip(3));
        var fast = new FailingOperations();
        using var p = Open(fast, FileDurability.ProcessCrash);
        Assert.True(await p.TryWriteAsync(Key, new byte[] { 3 }, null, SessionStorage.AnyVersion, 3));
        Assert.Empty(fast.FlushThreads);
    }

    [Fact]
    public async Task AFailedFsyncFailsTheAsyncDurableWriteOrDeleteAndKeepsThePreviousRecord()
    {
        using (var ok = Open()) ok.TryWrite(Key, new byte[] { 7 }, null, SessionStorage.Absent, 1);
        using var flush = Open(new FailingOperations { FailFlush = true });
        await Assert.ThrowsAsync<SessionStorageException>(async () => await flush.TryWriteAsync(Key, new byte[] { 8 }, null, 1, 2));
        Assert.Equal(new byte[] { 7 }, flush.Read(Key)!.Value.Value);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, ".tmp")));

        // A new record's directory fsync fails after the rename: the write is not acknowledged, and neither is the delete.
        using var directory = Open(new FailingOperations { FailDirectoryFlush = true });
        var e = await Assert.ThrowsAsync<SessionStorageException>(async () => await directory.TryWriteAsync(Key[..^1] + "B", new byte[] { 9 }, null, SessionStorage.Absent, 1));
        Assert.IsType<IOException>(e.InnerException);
        await Assert.ThrowsAsync<SessionStorageException>(async () => await directory.DeleteAsync(Key));
    }

    [Fact]
    public async Task AsyncDurableCompareAndSetDeleteFsyncsOnADurableIoThreadAndFailsWithItsFsync()
    {
        // A purge's parallel deletes: on the pool their directory fsyncs waited for the pool to grow (issue 27 item 1).
        var ops = new FailingOperations();
        using var s = Open(ops);
        s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        int before = ops.FlushThreads.Count;
        Assert.False(await s.TryDeleteAsync(Key, 2)); // another version: nothing deleted, nothing flushed
        Assert.Equal(before, ops.FlushThreads.Count);
        Assert.True(await s.TryDeleteAsync(Key, 1));
        Assert.Equal("SessionConnector durable I/O", Assert.Single(ops.FlushThreads.Skip(before)));
        Assert.Null(s.Read(Key));

        // A sync delete blocks its caller, as asked.
        s.TryWrite(Key, new byte[] { 2 }, null, SessionStorage.Absent, 2);
        before = ops.FlushThreads.Count;
        Assert.True(s.TryDelete(Key, 2));
        Assert.NotEqual("SessionConnector durable I/O", Assert.Single(ops.FlushThreads.Skip(before)));

        // The unlink is not acknowledged until the directory is on disk: a failed directory fsync fails the delete.
        s.TryWrite(Key, new byte[] { 3 }, null, SessionStorage.Absent, 3);
        using var failing = Open(new FailingOperations { FailDirectoryFlush = true });
        var e = await Assert.ThrowsAsync<SessionStorageException>(async () => await failing.TryDeleteAsync(Key, 3));
        Assert.IsType<IOException>(e.InnerException);
    }

    [Fact]
    public async Task APurgeOfAPowerLossStoreKeepsSixteenDurableDeletesInFlightByDefault()
    {
        // The kernel merges concurrent fsyncs, so a durable store's maintenance asks for as many as the durable-I/O threads
        // carry; a store without fsyncs and an explicit option keep theirs (issue 27 item 1).
        using (var plain = Open(durability: FileDurability.ProcessCrash, directory: Path.Combine(_env.Directory, "plain")))
        {
            Assert.Equal(8, plain.MaintenanceParallelism);
        }

        Assert.Null(new SessionConnector.Maintenance.MaintenanceOptions().Parallelism);
        var ops = new ConcurrentFlushes(16);
        using var s = Open(ops);
        Assert.Equal(16, s.MaintenanceParallelism);
        DateTimeOffset past = _env.Clock.GetUtcNow().AddMinutes(-1);
        for (int i = 0; i < 32; i++) s.TryWrite(Key[..^2] + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture), new byte[] { 1 }, past, SessionStorage.Absent, 1);

        using var maintenance = new SessionConnector.Maintenance.SessionStoreMaintenance(s, keys: null, _env.Clock);
        ops.Armed = true;
        var result = await maintenance.PurgeExpiredAsync();

        Assert.Equal(32, result.Changed);
        Assert.Equal(16, ops.MostAtOnce); // each directory fsync waits until 16 are in flight (or 30 s): 8 at once never get there
    }

    [Fact]
    public void DurableWritesFlushTheFileAndTheDirectory()
    {
        var ops = new FailingOperations();
        using var s = Open(ops);
        s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        Assert.Equal(1, ops.Flushes);
        Assert.Equal(1, ops.DirectoryFlushes);

        var fast = new FailingOperations();
        using var p = Open(fast, FileDurability.ProcessCrash);
        p.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.AnyVersion, 2);
        Assert.Equal(0, fast.Flushes);
        Assert.Equal(0, fast.DirectoryFlushes);
    }

    [Fact]
    public void ClearRemovesAllRecords()
    {
        using var s = Open();
        s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        s.TryWrite("C" + Key[1..], new byte[] { 1 }, null, SessionStorage.Absent, 1);
        s.Clear();
        Assert.Empty(Directory.GetFiles(_dir, "*.session"));
    }

    // ---- private by default ------------------------------------------------------------------------------------

    [Fact]
    public void DirectoriesAre0700AndRecordsLocksAndTempFiles0600()
    {
        var ops = new FailingOperations();
        using var s = Open(ops);
        s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1);

        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(_dir));
        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(Path.Combine(_dir, ".tmp")));
        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(Path.Combine(_dir, ".locks")));
        Assert.Equal(Private, File.GetUnixFileMode(RecordFile));
        s.TryWrite(Key, new byte[5000], null, 1, 2); // larger than the record file's slots: a temp file, renamed
        Assert.Equal(Private, File.GetUnixFileMode(RecordFile));
        Assert.Equal(Private, ops.TempFileModes.Single());
        // The stripe's lock file and the change table (ChangeTableTests), nothing else.
        string[] files = Directory.GetFiles(Path.Combine(_dir, ".locks"));
        Assert.Equal(2, files.Length);
        Assert.Single(files, f => Path.GetFileName(f) == ChangeTable.FileName);
        Assert.Single(files, f => f.EndsWith(".lock", StringComparison.Ordinal));
        foreach (string file in files) Assert.Equal(Private, File.GetUnixFileMode(file));
    }

    [Fact]
    public void AnExistingStoreDirectoryOpenToOthersIsTightened()
    {
        Directory.CreateDirectory(_dir);
        File.SetUnixFileMode(_dir, PrivateDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        using var s = Open();

        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(_dir));
    }

    [Fact]
    public void AStoreDirectoryThatIsASymbolicLinkIsRefused()
    {
        string elsewhere = Path.Combine(_env.Directory, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        Directory.CreateSymbolicLink(_dir, elsewhere);

        var e = Assert.Throws<SessionStorageException>(() => Open());

        Assert.Contains("symbolic link", e.Message);
        Assert.Contains(_dir, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere)); // nothing created through the link
    }

    [Theory]
    [InlineData(".tmp")]
    [InlineData(".locks")]
    public void AStoreWhoseTmpOrLocksIsASymbolicLinkIsRefusedAndNothingOutsideIsDeleted(string name)
    {
        string elsewhere = Path.Combine(_env.Directory, "victim");
        Directory.CreateDirectory(elsewhere);
        string victim = Path.Combine(elsewhere, "precious.tmp");
        File.WriteAllBytes(victim, new byte[] { 42 });
        Directory.CreateDirectory(_dir);
        Directory.CreateSymbolicLink(Path.Combine(_dir, name), elsewhere);
        if (name == ".locks") Directory.CreateDirectory(Path.Combine(_dir, ".tmp"));

        var e = Assert.Throws<SessionStorageException>(() => Open());

        Assert.Contains("symbolic link", e.Message);
        Assert.True(File.Exists(victim));
        Assert.Single(Directory.GetFileSystemEntries(elsewhere));
    }

    [Fact]
    public void AStorePathThatIsARegularFileIsATypedRefusal()
    {
        Directory.CreateDirectory(_env.Directory);
        File.WriteAllBytes(_dir, new byte[] { 42 });

        var e = Assert.Throws<SessionStorageException>(() => Open());

        Assert.Contains("not a directory", e.Message);
        Assert.Contains(_dir, e.Message);
        Assert.Equal(new byte[] { 42 }, File.ReadAllBytes(_dir));
    }

    [Fact]
    public void AStoreUnderMissingParentsIsCreatedWithItsOwnDirectoriesPrivate()
    {
        string nested = Path.Combine(_env.Directory, "a", "b", "store");

        using var s = Open(directory: nested);

        Assert.True(s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        foreach (string d in new[] { nested, Path.Combine(nested, ".tmp"), Path.Combine(nested, ".locks") })
        {
            Assert.Equal(PrivateDirectory, File.GetUnixFileMode(d));
        }
    }

    [Fact]
    public void AStoreOwnedByAnotherUserIsRefused()
    {
        string foreign = UnixTestFiles.ForeignDirectory(_env.Directory);

        var e = Assert.Throws<SessionStorageException>(() => Open(directory: foreign));

        Assert.Contains("owned by user id", e.Message);
        Assert.False(Directory.Exists(Path.Combine(foreign, ".tmp")));
    }

    [Fact]
    public void ALockFileThatIsASymbolicLinkIsRefusedNotFollowed()
    {
        using (Open()) { }
        string outside = Path.Combine(_env.Directory, "not-a-lock");
        string locks = Path.Combine(_dir, ".locks");
        for (int i = 0; i < 64; i++) File.CreateSymbolicLink(Path.Combine(locks, i.ToString("D2") + ".lock"), outside);
        using var s = Open();

        var e = Assert.Throws<SessionStorageException>(() => s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1));

        Assert.Contains(locks, e.Message);
        Assert.False(File.Exists(outside)); // open(O_CREAT) through the link would have created it
        Assert.False(File.Exists(RecordFile));
    }

    // ---- typed failures -----------------------------------------------------------------------------------------

    [Fact]
    public async Task ADirectoryWhereARecordShouldBeIsATypedErrorNamingThePath()
    {
        using var s = Open();
        Directory.CreateDirectory(RecordFile);

        var read = Assert.Throws<SessionStorageException>(() => s.Read(Key));
        var readAsync = await Assert.ThrowsAsync<SessionStorageException>(async () => await s.ReadAsync(Key));
        var write = Assert.Throws<SessionStorageException>(() => s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.AnyVersion, 1));
        var delete = await Assert.ThrowsAsync<SessionStorageException>(async () => await s.DeleteAsync(Key));

        foreach (SessionStorageException e in new[] { read, readAsync, write, delete })
        {
            Assert.Contains(RecordFile, e.Message);
            Assert.NotNull(e.InnerException);
        }
    }

    [Fact]
    public async Task AMissingRecordReadsAsAbsentButNotWhenTheStoreFolderIsGone()
    {
        using var s = Open();
        Assert.Null(s.Read(Key));
        Assert.Null(await s.ReadAsync(Key));

        Directory.Delete(_dir, recursive: true);

        // Issue 23: "folder missing" is not "no session" (that signed every user out silently).
        Assert.Contains("is gone", Assert.Throws<SessionStorageException>(() => s.Read(Key)).Message);
        await Assert.ThrowsAsync<SessionStorageException>(async () => await s.ReadAsync(Key));
    }

    [Theory]
    [InlineData("/dev/null/sessions")]
    [InlineData("/proc/self/sessions")]
    public void AnUnusableRootIsATypedErrorNamingThePath(string root)
    {
        var e = Assert.Throws<SessionStorageException>(() => Open(directory: root));
        Assert.Contains(root, e.Message);
    }

    [Fact]
    public void AnIoErrorNamesThePathAndTheCause()
    {
        using var s = Open(new FailingOperations { FailWrite = true });

        var e = Assert.Throws<SessionStorageException>(() => s.TryWrite(Key, new byte[] { 8 }, null, SessionStorage.AnyVersion, 2));

        Assert.Contains(RecordFile, e.Message);
        Assert.Contains("No space left on device", e.Message);
    }

    [Fact]
    public void AFailedDirectoryFlushAfterADeleteIsATypedError()
    {
        using (var ok = Open()) ok.TryWrite(Key, new byte[] { 7 }, null, SessionStorage.Absent, 1);
        using var s = Open(new FailingOperations { FailDirectoryFlush = true });

        var e = Assert.Throws<SessionStorageException>(() => s.Delete(Key));

        Assert.Contains(_dir, e.Message);
        Assert.IsType<IOException>(e.InnerException);
    }

    // ---- durable logout -----------------------------------------------------------------------------------------

    [Fact]
    public async Task ADurableDeleteFsyncsTheDirectoryAfterTheUnlink()
    {
        var ops = new FailingOperations();
        using var s = Open(ops);
        s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        string other = "D" + Key[1..];
        s.TryWrite(other, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        int before = ops.DirectoryFlushes;

        Assert.True(s.Delete(Key));
        Assert.True(await s.DeleteAsync(other));

        Assert.Equal(before + 2, ops.DirectoryFlushes);
        Assert.False(File.Exists(RecordFile));

        var fast = new FailingOperations();
        using var p = Open(fast, FileDurability.ProcessCrash);
        p.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 3);
        Assert.True(p.Delete(Key));
        Assert.Equal(0, fast.DirectoryFlushes);
    }

    // ---- sweeping -----------------------------------------------------------------------------------------------

    [Fact]
    public void TheSweepRemovesExpiredRecordsABoundedBatchPerTickAndNeverLiveOnes()
    {
        using var s = new FileSessionStorage(_dir, new FileSessionStorageOptions
        {
            Durability = FileDurability.ProcessCrash, TimeProvider = _env.Clock, SweepInterval = TimeSpan.FromMinutes(1), SweepBatchSize = 10,
        });
        string[] expiring = Keys(25, 'E');
        string[] live = Keys(5, 'L');
        foreach (string k in expiring) s.TryWrite(k, new byte[] { 1 }, _env.Clock.GetUtcNow().AddSeconds(10), SessionStorage.Absent, 1);
        foreach (string k in live) s.TryWrite(k, new byte[] { 1 }, _env.Clock.GetUtcNow().AddHours(2), SessionStorage.Absent, 1);

        _env.Clock.Advance(TimeSpan.FromSeconds(59)); // expired, but no tick yet: nothing is swept before an interval
        Assert.NotNull(s.Read(live[1]));
        Assert.Equal(30, RecordCount());

        _env.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(s.Read(live[0])); // the first operation from an interval on arms the sweep: tick 1 at once, at most 10 go
        int afterOne = RecordCount();
        Assert.InRange(afterOne, 30 - 10, 30 - 5);

        _env.Clock.Advance(TimeSpan.FromMinutes(3)); // ticks 2-4 with no operation: the pass completes (30 files, 10 a tick)
        Assert.Equal(live.Select(k => k + ".session").Order(), Directory.GetFiles(_dir, "*.session").Select(Path.GetFileName).Order());
    }

    [Fact]
    public void TheSweepTimerIsCreatedByTheFirstOperationOneIntervalAfterTheOpenAndOnlyOnce()
    {
        var clock = new CountingClock(_env.Clock);
        using (var s = new FileSessionStorage(_dir, new FileSessionStorageOptions { Durability = FileDurability.ProcessCrash, TimeProvider = clock, SweepInterval = TimeSpan.FromMinutes(1) }))
        {
            Assert.Equal(0, clock.TimersCreated); // opening a store starts no timer (and so no timer thread)
            foreach (string k in Keys(3, 'X')) s.TryWrite(k, new byte[] { 1 }, _env.Clock.GetUtcNow().AddSeconds(1), SessionStorage.Absent, 1);
            _env.Clock.Advance(TimeSpan.FromSeconds(59));
            s.Delete(Key);
            Assert.Equal(0, clock.TimersCreated); // operations before the first interval is up do not arm it

            _env.Clock.Advance(TimeSpan.FromMinutes(5));
            Assert.Equal(3, RecordCount()); // no operation since the interval was up: nothing armed, nothing swept
            Assert.Null(s.Read(Key));
            Assert.Equal(1, clock.TimersCreated);
            Assert.Equal(0, RecordCount()); // the first tick ran at once

            s.TryWrite(Key, new byte[] { 1 }, _env.Clock.GetUtcNow().AddSeconds(1), SessionStorage.Absent, 1);
            _env.Clock.Advance(TimeSpan.FromMinutes(1)); // the next tick, without an operation
            Assert.Equal(0, RecordCount());
            Assert.Equal(1, clock.TimersCreated);
        }

        using (var off = new FileSessionStorage(_dir, new FileSessionStorageOptions { TimeProvider = clock, SweepInterval = Timeout.InfiniteTimeSpan }))
        {
            off.TryWrite(Key, new byte[] { 1 }, _env.Clock.GetUtcNow().AddSeconds(1), SessionStorage.Absent, 1);
            _env.Clock.Advance(TimeSpan.FromHours(1));
            Assert.Null(off.Read(Keys(1, 'Z')[0]));
        }

        Assert.Equal(1, clock.TimersCreated); // a store with the sweep off never arms one
        Assert.Equal(1, RecordCount());
    }

    [Fact]
    public void OpeningAStoreDoesNotSweepItAndTheSweepCanBeTurnedOff()
    {
        using (var s = Open(durability: FileDurability.ProcessCrash))
        {
            foreach (string k in Keys(20, 'X')) s.TryWrite(k, new byte[] { 1 }, _env.Clock.GetUtcNow().AddSeconds(1), SessionStorage.Absent, 1);
        }

        _env.Clock.Advance(TimeSpan.FromMinutes(5));
        using var swept = new FileSessionStorage(_dir, new FileSessionStorageOptions { TimeProvider = _env.Clock, SweepInterval = TimeSpan.FromMinutes(1) });
        using var off = new FileSessionStorage(_dir, new FileSessionStorageOptions { TimeProvider = _env.Clock, SweepInterval = TimeSpan.Zero });
        Assert.Equal(20, RecordCount()); // opening scanned nothing

        _env.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(off.Read(Key)); // the store with the sweep off arms nothing
        Assert.Equal(20, RecordCount());

        swept.Dispose(); // a disposed store is never armed, not even by a read after its interval
        Assert.Null(swept.Read(Key));
        _env.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(20, RecordCount());
    }

    private int RecordCount() => Directory.GetFiles(_dir, "*.session").Length;

    /// <summary>The test clock, counting the timers created through it.</summary>
    private sealed class CountingClock(FakeTimeProvider inner) : TimeProvider
    {
        private int _timers;

        public int TimersCreated => Volatile.Read(ref _timers);

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _timers);
            return inner.CreateTimer(callback, state, dueTime, period);
        }
    }

    private static string[] Keys(int count, char prefix) =>
        Enumerable.Range(0, count).Select(i => prefix + i.ToString("D3") + Key[4..]).ToArray();

    /// <summary>Directory fsyncs that wait until <c>target</c> are in flight (at most 30 s each), recording the most at once.</summary>
    /// <summary>Once armed, the next flush (in place or of a new file) signals, then waits to be released.</summary>
    private sealed class BlockingFlushes : FileOperations
    {
        public bool Armed { get; set; }

        public ManualResetEventSlim InFlush { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public override void FlushData(SafeFileHandle handle)
        {
            Block();
            base.FlushData(handle);
        }

        public override void Flush(FileStream stream)
        {
            Block();
            base.Flush(stream);
        }

        private void Block()
        {
            if (!Armed) return;
            InFlush.Set();
            Release.Wait();
        }
    }

    private sealed class ConcurrentFlushes(int target) : FileOperations
    {
        private readonly object _gate = new();
        private int _inFlight;

        public int MostAtOnce { get; private set; }

        /// <summary>Off while the test writes its records (one at a time).</summary>
        public bool Armed { get; set; }

        public override void FlushDirectory(string directory)
        {
            if (!Armed)
            {
                base.FlushDirectory(directory);
                return;
            }

            lock (_gate)
            {
                _inFlight++;
                MostAtOnce = Math.Max(MostAtOnce, _inFlight);
                if (MostAtOnce >= target) Monitor.PulseAll(_gate);
                // Wait for the others only until the target was reached once: the tail of the pass runs through.
                else Monitor.Wait(_gate, TimeSpan.FromSeconds(30));
                _inFlight--;
            }

            base.FlushDirectory(directory);
        }
    }

    /// <summary>Creates a record at its path (not a temp file) in two steps: its headers, then, once resumed, the whole file.</summary>
    private sealed class PausedCreate : FileOperations
    {
        public ManualResetEventSlim Started { get; } = new();

        public ManualResetEventSlim Resume { get; } = new();

        public override void WriteNew(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, int length, bool durable)
        {
            if (Path.GetFileName(Path.GetDirectoryName(path)) != ".tmp")
            {
                File.WriteAllBytes(path, header.ToArray()); // what a reader finds of a create under way
                Started.Set();
                Resume.Wait();
                File.Delete(path);
            }

            base.WriteNew(path, header, data, length, durable);
        }
    }

    /// <summary>Runs an action between a temp file's flush and its rename.</summary>
    private sealed class BeforeRename(Action action) : FileOperations
    {
        public override void Rename(string source, string destination)
        {
            action();
            base.Rename(source, destination);
        }
    }

    private sealed class FailingOperations : FileOperations
    {
        public bool FailWrite, FailFlush, FailRename, FailDirectoryFlush;
        public int Flushes, DirectoryFlushes;
        public List<UnixFileMode> TempFileModes { get; } = new();

        /// <summary>The name of the thread of each fsync (file or directory), in order.</summary>
        public List<string?> FlushThreads { get; } = new();

        public override void WriteNew(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, int length, bool durable)
        {
            if (FailWrite)
            {
                File.WriteAllBytes(path, header.ToArray()); // a partial temp file, as a full disk leaves
                throw new IOException("No space left on device");
            }

            base.WriteNew(path, header, data, length, durable);
        }

        public override void WriteAt(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset)
        {
            if (FailWrite && data.Length > 1)
            {
                base.WriteAt(handle, data[..(data.Length / 2)], offset); // half a slot, as a failing device leaves
                throw new IOException("Input/output error");
            }

            base.WriteAt(handle, data, offset);
        }

        public override void FlushData(SafeFileHandle handle)
        {
            Flushes++;
            lock (FlushThreads) FlushThreads.Add(Thread.CurrentThread.Name);
            if (FailFlush) throw new IOException("Input/output error");
            base.FlushData(handle);
        }

        public override void Flush(FileStream stream)
        {
            Flushes++;
            lock (FlushThreads) FlushThreads.Add(Thread.CurrentThread.Name);
            if (FailFlush) throw new IOException("Input/output error");
            base.Flush(stream);
        }

        public override void Rename(string source, string destination)
        {
            if (FailRename) throw new IOException("rename failed");
            TempFileModes.Add(File.GetUnixFileMode(source));
            base.Rename(source, destination);
        }

        public override void FlushDirectory(string directory)
        {
            DirectoryFlushes++;
            lock (FlushThreads) FlushThreads.Add(Thread.CurrentThread.Name);
            if (FailDirectoryFlush) throw new IOException("Input/output error");
            base.FlushDirectory(directory);
        }
    }
}
