using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.Versioning;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Storage;

/// <summary>
/// The file store's two-slot record files (<see cref="RecordSlots"/>): an update rewrites the slot that is not live and
/// flushes only the file's data. These tests pin what that path does and what it must never do: lose an acknowledged
/// record when power fails or a process dies mid-write, hand a reader a torn or superseded record, or write through a link.
/// </summary>
[UnsupportedOSPlatform("windows")] // in-place updates are a Unix path (Windows writes every record as a new file)
public sealed class FileInPlaceUpdateTests : IDisposable
{
    private const string Key = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    private readonly TestConnectors _env = new();
    private readonly ITestOutputHelper _output;
    private readonly string _dir;

    public FileInPlaceUpdateTests(ITestOutputHelper output)
    {
        _output = output;
        _dir = Path.Combine(_env.Directory, "files");
    }

    public void Dispose() => _env.Dispose();

    private string RecordFile => Path.Combine(_dir, Key + ".session");

    private FileSessionStorage Open(FileOperations? ops = null, FileDurability durability = FileDurability.PowerLoss) =>
        new(_dir, new FileSessionStorageOptions { Durability = durability, TimeProvider = _env.Clock, SweepInterval = TimeSpan.Zero }, ops ?? FileOperations.Default);

    [Fact]
    public void ANewRecordIsCreatedAtItsPathAndAnUpdateIsOneSlotWriteAndOneDataFlush()
    {
        var ops = new CountingOperations();
        using var s = Open(ops);
        Assert.True(s.TryWrite(Key, new byte[300], null, SessionStorage.Absent, 1));
        Assert.Equal("WriteNew Flush FlushDirectory", ops.Log()); // no temp file, no rename
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, ".tmp")));

        Assert.True(s.TryWrite(Key, new byte[310], null, 1, 2));
        Assert.True(s.TryWrite(Key, new byte[320], null, 2, 3));
        Assert.Equal("WriteAt FlushData WriteAt FlushData", ops.Log());
        Assert.Equal(2 * 4096, new FileInfo(RecordFile).Length);

        var fast = new CountingOperations();
        using var p = Open(fast, FileDurability.ProcessCrash);
        Assert.True(p.TryWrite(Key, new byte[330], null, 3, 4));
        Assert.Equal("WriteAt", fast.Log());
        Assert.Equal(4, p.Read(Key)!.Value.Version);
    }

    [Fact]
    public void ARecordThatOutgrowsItsSlotsMovesToANewLargerFileAndIsUpdatedInPlaceThere()
    {
        var ops = new CountingOperations();
        using var s = Open(ops);
        s.TryWrite(Key, Filled(100, 1), null, SessionStorage.Absent, 1);
        ops.Log();
        Assert.True(s.TryWrite(Key, Filled(5000, 2), null, 1, 2));
        Assert.Equal("WriteNew Flush Rename FlushDirectory", ops.Log());
        Assert.Equal(2 * 8192, new FileInfo(RecordFile).Length);

        // Smaller again: the larger slots still hold it.
        Assert.True(s.TryWrite(Key, Filled(100, 3), null, 2, 3));
        Assert.Equal("WriteAt FlushData", ops.Log());
        Assert.Equal(Filled(100, 3), s.Read(Key)!.Value.Value);
        Assert.Equal(RecordSlots.Capacity(4096), RecordSlots.Capacity(RecordSlots.SlotSizeFor(RecordSlots.Capacity(4096))));
    }

    [Fact]
    public void AnScf1RecordOfAnEarlierBuildIsReadAndBecomesATwoSlotFileAtItsNextWrite()
    {
        Directory.CreateDirectory(_dir);
        DateTimeOffset expires = _env.Clock.GetUtcNow().AddHours(1);
        byte[] legacy = new byte[24 + 5];
        "SCF1"u8.CopyTo(legacy);
        BinaryPrimitives.WriteInt32LittleEndian(legacy.AsSpan(4), 5);
        BinaryPrimitives.WriteInt64LittleEndian(legacy.AsSpan(8), 41);
        BinaryPrimitives.WriteInt64LittleEndian(legacy.AsSpan(16), expires.ToUnixTimeMilliseconds());
        new byte[] { 1, 2, 3, 4, 5 }.CopyTo(legacy, 24);
        File.WriteAllBytes(RecordFile, legacy);

        using var s = Open();
        StoredRecord read = s.Read(Key)!.Value;
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, read.Value);
        Assert.Equal(41, read.Version);
        Assert.Equal(expires, read.ExpiresAt);
        Assert.False(s.TryWrite(Key, new byte[] { 9 }, null, 40, 42)); // the compare-and-set sees its version

        Assert.True(s.TryWrite(Key, new byte[] { 9 }, null, 41, 42));
        byte[] file = File.ReadAllBytes(RecordFile);
        Assert.Equal("SCFS"u8.ToArray(), file[..4]);
        Assert.Equal(new byte[] { 9 }, s.Read(Key)!.Value.Value);
        Assert.Equal(42, s.Read(Key)!.Value.Version);
    }

    /// <summary>
    /// The power-loss model. A device that loses power while a slot is being written keeps any subset of the slot's
    /// sectors, old or new, and can cut one sector part-way. Here every update is cut at a random point of that kind
    /// (including "nothing written" and "all written, not flushed"), the store is reopened on what the file then holds,
    /// and the record read must be the last acknowledged one or the one that was in flight, never anything else and never
    /// absent; the next update must then succeed. Records grow and shrink, so the new-file path is cut too.
    /// </summary>
    [Fact]
    public void PowerLossDuringAWriteLeavesTheLastAcknowledgedRecordOrTheOneInFlight()
    {
        var rng = new Random(2027);
        // The last acknowledged record (null: none, after a delete); versions keep counting up across deletes.
        byte[]? acknowledged = null;
        long version = 0;
        int iterations = LongMode.Pick(400, 5000), inFlightSurvived = 0, acknowledgedKept = 0, cutsInPlace = 0, cutsNewFile = 0;
        for (int i = 1; i <= iterations; i++)
        {
            if (rng.Next(4) == 0 && acknowledged is not null)
            {
                // Now and then the cut write is a new record (after a logout) rather than an update.
                using var s = Open();
                Assert.True(s.Delete(Key));
                acknowledged = null;
            }

            // Mostly small updates; now and then one larger than the slots hold (a new, larger file).
            byte[] value = Filled(rng.Next(5) == 0 ? rng.Next(4000, 20000) : rng.Next(1, 400), i);
            long expected = acknowledged is null ? SessionStorage.Absent : version;
            var cut = new PowerCut(rng);
            using (var s = Open(cut))
            {
                Assert.Throws<PowerCutException>(() => s.TryWrite(Key, value, null, expected, version + 1));
            }

            if (cut.InPlace) cutsInPlace++;
            else cutsNewFile++;
            using var reopened = Open();
            StoredRecord? after = reopened.Read(Key);
            if (after is { } survived && survived.Version == version + 1)
            {
                Assert.Equal(value, survived.Value);
                inFlightSurvived++;
                acknowledged = value;
                version++;
            }
            else
            {
                Assert.True(after is null == acknowledged is null, $"iteration {i}: the acknowledged record is gone, or a deleted one is back");
                if (after is { } kept)
                {
                    Assert.Equal(version, kept.Version);
                    Assert.Equal(acknowledged, kept.Value);
                }

                acknowledgedKept++;
            }

            // The store goes on from whatever survived.
            byte[] next = Filled(rng.Next(1, 500), i + 100);
            Assert.True(reopened.TryWrite(Key, next, null, acknowledged is null ? SessionStorage.Absent : version, version + 1));
            acknowledged = next;
            version++;
            Assert.Equal(next, reopened.Read(Key)!.Value.Value);
        }

        _output.WriteLine($"{iterations} cut writes ({cutsInPlace} in place, {cutsNewFile} new files): {acknowledgedKept} kept the last acknowledged state, {inFlightSurvived} kept the write in flight, 0 lost, damaged or resurrected");
        Assert.True(cutsInPlace > iterations / 4 && cutsNewFile > iterations / 10, "the cuts missed one of the two write paths");
        Assert.True(acknowledgedKept > 0 && inFlightSurvived > 0);
    }

    /// <summary>
    /// Readers take no lock. While one store rewrites a record in place as fast as it can (no flushes), readers on another
    /// store instance (as another process would) must always get a whole record whose bytes match its version, and never
    /// a version older than one acknowledged before the read began.
    /// </summary>
    /// <remarks>
    /// The 1 MiB case is the one that proves the reader's header re-check (ReadImage): copying a 2 MiB file takes long
    /// enough for one write to complete in the slot already copied and the next to start in the other. With the re-check
    /// removed it served a record older than an acknowledged one in 4 of 4 runs ("read version 75 after 76 was
    /// acknowledged"); small records never showed that race on this machine.
    /// </remarks>
    [Theory]
    [InlineData(104, 3_000)] // most records span two pages
    [InlineData(1 << 20, 0)] // 1 MiB records, all in place
    public async Task ReadersNeverSeeATornOrSupersededRecordWhileAWriterUpdatesInPlace(int minLength, int spread)
    {
        using var writer = Open(durability: FileDurability.ProcessCrash);
        using var reader = Open(durability: FileDurability.ProcessCrash);
        writer.TryWrite(Key, Versioned(1, minLength, spread), null, SessionStorage.Absent, 1);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(LongMode.Pick(2, 20)));
        long written = 1;
        // Threads of their own: three busy loops on the pool of a 2-core machine left one reader waiting for a thread.
        Task write = Task.Factory.StartNew(() =>
        {
            for (long v = 2; !stop.IsCancellationRequested; v++)
            {
                Assert.True(writer.TryWrite(Key, Versioned(v, minLength, spread), null, v - 1, v));
                Volatile.Write(ref written, v);
            }
        }, TaskCreationOptions.LongRunning);

        var reads = new long[2];
        Task[] readers = Enumerable.Range(0, 2).Select(r => Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // A read must return a record at least as new as every write acknowledged before it began.
                long acknowledged = Volatile.Read(ref written);
                StoredRecord record = reader.Read(Key) ?? throw new Xunit.Sdk.XunitException("a read found no record");
                Assert.Equal(Versioned(record.Version, minLength, spread), record.Value);
                Assert.True(record.Version >= acknowledged, $"read version {record.Version} after {acknowledged} was acknowledged");
                reads[r]++;
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll([write, .. readers]);
        _output.WriteLine($"{Volatile.Read(ref written)} writes, {string.Join(" + ", reads)} reads, none torn or superseded");
        // Readers of 1 MiB records retry while writes keep landing (each retry copies 2 MiB), so far fewer complete.
        int minimum = minLength > 4096 ? 20 : 100;
        Assert.True(written > minimum && reads.All(n => n > minimum));
    }

    [Fact]
    public void ADamagedFileHeaderLosesNoRecordAndTheNextWriteReplacesTheFile()
    {
        var ops = new CountingOperations();
        using var s = Open(ops);
        s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        s.TryWrite(Key, new byte[] { 2 }, null, 1, 2); // live in slot 1, past the header's sector
        byte[] bytes = File.ReadAllBytes(RecordFile);
        bytes.AsSpan(0, RecordSlots.FileHeaderSize).Fill(0xEE); // a torn first sector
        File.WriteAllBytes(RecordFile, bytes);
        ops.Log();

        Assert.Equal(new byte[] { 2 }, s.Read(Key)!.Value.Value);
        Assert.True(s.TryWrite(Key, new byte[] { 3 }, null, 2, 3));
        Assert.Equal("WriteNew Flush Rename FlushDirectory", ops.Log()); // not in place: the header is written anew
        Assert.Equal("SCFS"u8.ToArray(), File.ReadAllBytes(RecordFile)[..4]);
        Assert.Equal(new byte[] { 3 }, s.Read(Key)!.Value.Value);
    }

    [Fact]
    public void ASlotSequenceAtItsLimitIsFollowedByANewFileNotAnInvisibleWrite()
    {
        using var s = Open();
        s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        byte[] bytes = File.ReadAllBytes(RecordFile);
        Assert.True(RecordSlots.TryFindLive(bytes, out LiveSlot live));
        Span<byte> slot = bytes.AsSpan(live.Start, live.Length);
        RecordSlots.WriteSlotHeader(slot, slot[RecordSlots.SlotHeaderSize..], 1, 0, long.MaxValue);
        File.WriteAllBytes(RecordFile, bytes);

        Assert.True(s.TryWrite(Key, new byte[] { 2 }, null, 1, 2));
        Assert.Equal(new byte[] { 2 }, s.Read(Key)!.Value.Value);
    }

    [Fact]
    public void AnUpdateNeverWritesThroughALinkPlantedAtTheRecordPath()
    {
        using var s = Open();
        s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        string outside = Path.Combine(_env.Directory, "outside.session");
        File.Copy(RecordFile, outside);
        byte[] before = File.ReadAllBytes(outside);
        File.Delete(RecordFile);
        File.CreateSymbolicLink(RecordFile, outside);

        Assert.True(s.TryWrite(Key, new byte[] { 2 }, null, SessionStorage.AnyVersion, 2));
        Assert.Equal(before, File.ReadAllBytes(outside));
        Assert.Null(new FileInfo(RecordFile).LinkTarget); // replaced by a record file of its own
        Assert.Equal(new byte[] { 2 }, s.Read(Key)!.Value.Value);
    }

    [Fact]
    public void ANewRecordWhosePathHoldsADanglingLinkReplacesTheLinkAndNeverCreatesItsTarget()
    {
        Directory.CreateDirectory(_dir);
        using var s = Open();
        string target = Path.Combine(_env.Directory, "planted-target");
        File.CreateSymbolicLink(RecordFile, target);

        Assert.True(s.TryWrite(Key, new byte[] { 5 }, null, SessionStorage.Absent, 1));
        Assert.False(File.Exists(target));
        Assert.Null(new FileInfo(RecordFile).LinkTarget);
        Assert.Equal(new byte[] { 5 }, s.Read(Key)!.Value.Value);
    }

    private static byte[] Filled(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(seed + i * 7)).ToArray();

    private static byte[] Filled(int length, int seed) => Filled(length, (byte)seed);

    // 100 to ~3,100 bytes, so a record often spans two pages and a reader's copy of it can interleave with a write.
    private static byte[] Versioned(long version) => Versioned(version, 104, 3_000);

    // minLength to minLength + spread bytes, a multiple of 8, each 8 bytes the version.
    private static byte[] Versioned(long version, int minLength, int spread)
    {
        byte[] value = new byte[minLength + (spread == 0 ? 0 : (int)(version * 37 % spread) / 8 * 8)];
        for (int i = 0; i < value.Length; i += 8) BinaryPrimitives.WriteInt64LittleEndian(value.AsSpan(i), version);
        return value;
    }

    private sealed class PowerCutException() : Exception("power cut");

    /// <summary>
    /// Loses power during the store's next write. In place: the slot gets a random subset of its 512-byte sectors, one of
    /// them possibly cut part-way, and nothing after. A record that outgrew its slots: the temp file is written in part and
    /// never renamed, or written and renamed with the cut before the directory flush (either file may be what survives).
    /// A new record (created at its path): its file is written in part, or whole with the cut before the directory flush
    /// (it may vanish).
    /// </summary>
    private sealed class PowerCut(Random rng) : FileOperations
    {
        public bool InPlace { get; private set; }

        public override void WriteAt(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset)
        {
            InPlace = true;
            const int Sector = 512;
            int mode = rng.Next(4); // 0 nothing, 1 all (unflushed), 2 a random subset of sectors, 3 a prefix cut mid-sector
            for (int start = 0; start < data.Length; start += Sector)
            {
                ReadOnlySpan<byte> sector = data[start..Math.Min(data.Length, start + Sector)];
                bool keep = mode == 1 || (mode == 2 && rng.Next(2) == 0);
                if (mode == 3)
                {
                    int cutAt = rng.Next(data.Length + 1);
                    base.WriteAt(handle, data[..cutAt], offset);
                    break;
                }

                if (keep) base.WriteAt(handle, sector, offset + start);
            }

            throw new PowerCutException();
        }

        public override void FlushData(SafeFileHandle handle) => throw new PowerCutException();

        private string? _created;

        public override void WriteNew(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, int length, bool durable)
        {
            if (rng.Next(2) == 0)
            {
                File.WriteAllBytes(path, header.ToArray().Concat(data[..rng.Next(data.Length + 1)].ToArray()).ToArray());
                throw new PowerCutException();
            }

            base.WriteNew(path, header, data, length, durable);
            // A new record is created at its own path (a temp file is renamed): its entry is durable only with the directory.
            if (!path.Contains("/.tmp/", StringComparison.Ordinal)) _created = path;
        }

        private string? _renamed;
        private byte[]? _replaced;

        public override void Rename(string source, string destination)
        {
            _renamed = destination;
            _replaced = File.Exists(destination) ? File.ReadAllBytes(destination) : null;
            base.Rename(source, destination);
        }

        public override void FlushDirectory(string directory)
        {
            // The rename or the create happened, but without the directory flush either state may survive the power cut:
            // half the time the new file stays, half the time the directory is put back as it was.
            if (_renamed is not null && rng.Next(2) == 0)
            {
                if (_replaced is null) File.Delete(_renamed);
                else File.WriteAllBytes(_renamed, _replaced);
            }
            else if (_created is not null && rng.Next(2) == 0)
            {
                File.Delete(_created);
            }

            throw new PowerCutException();
        }
    }

    private sealed class CountingOperations : FileOperations
    {
        private readonly List<string> _calls = new();

        /// <summary>The calls since the last call of this, space-separated.</summary>
        public string Log()
        {
            string log = string.Join(" ", _calls);
            _calls.Clear();
            return log;
        }

        public override void WriteNew(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, int length, bool durable)
        {
            _calls.Add("WriteNew");
            base.WriteNew(path, header, data, length, durable);
        }

        public override void Flush(FileStream stream)
        {
            _calls.Add("Flush");
            base.Flush(stream);
        }

        public override void Rename(string source, string destination)
        {
            _calls.Add("Rename");
            base.Rename(source, destination);
        }

        public override void FlushDirectory(string directory)
        {
            _calls.Add("FlushDirectory");
            base.FlushDirectory(directory);
        }

        public override void WriteAt(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset)
        {
            _calls.Add("WriteAt");
            base.WriteAt(handle, data, offset);
        }

        public override void FlushData(SafeFileHandle handle)
        {
            _calls.Add("FlushData");
            base.FlushData(handle);
        }
    }
}
