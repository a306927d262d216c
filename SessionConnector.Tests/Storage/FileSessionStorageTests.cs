using System;
using System.IO;
using System.Linq;
using Microsoft.Extensions.Time.Testing;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Storage;

public sealed class FileSessionStorageTests : IDisposable
{
    private const string Key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private readonly TestConnectors _env = new();
    private readonly string _dir;

    public FileSessionStorageTests() => _dir = Path.Combine(_env.Directory, "files");

    public void Dispose() => _env.Dispose();

    private FileSessionStorage Open(FileOperations? ops = null, FileDurability durability = FileDurability.PowerLoss) =>
        new(_dir, durability, _env.Clock, ops ?? FileOperations.Default);

    [Fact]
    public void WriteThenReadRoundTripsValueVersionAndExpiry()
    {
        using var s = Open();
        DateTimeOffset at = _env.Clock.GetUtcNow().AddMinutes(5);
        Assert.True(s.TryWrite(Key, new byte[] { 1, 2, 3 }, at, SessionStorage.Absent, 42));
        StoredRecord r = s.Read(Key)!.Value;
        Assert.Equal(new byte[] { 1, 2, 3 }, r.Value);
        Assert.Equal(42, r.Version);
        Assert.Equal(at.ToUnixTimeMilliseconds(), r.ExpiresAt!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void CompareAndSetRefusesAStaleVersion()
    {
        using var s = Open();
        Assert.True(s.TryWrite(Key, new byte[] { 1 }, null, SessionStorage.Absent, 10));
        Assert.False(s.TryWrite(Key, new byte[] { 2 }, null, SessionStorage.Absent, 11));
        Assert.False(s.TryWrite(Key, new byte[] { 2 }, null, 9, 11));
        Assert.True(s.TryWrite(Key, new byte[] { 3 }, null, 10, 11));
        Assert.True(s.TryWrite(Key, new byte[] { 4 }, null, SessionStorage.AnyVersion, 12));
        Assert.Equal(new byte[] { 4 }, s.Read(Key)!.Value.Value);
    }

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
        Assert.NotNull(s.Read(live));
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
        Assert.Throws<SessionStorageException>(() => s.TryWrite(Key, new byte[] { 8 }, null, 1, 2));
        Assert.Equal(new byte[] { 7 }, s.Read(Key)!.Value.Value);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, ".tmp")));
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

    private sealed class FailingOperations : FileOperations
    {
        public bool FailWrite, FailFlush, FailRename;
        public int Flushes, DirectoryFlushes;

        public override void WriteNew(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, bool durable)
        {
            if (FailWrite)
            {
                File.WriteAllBytes(path, header.ToArray()); // a partial temp file, as a full disk leaves
                throw new IOException("No space left on device");
            }

            base.WriteNew(path, header, data, durable);
        }

        public override void Flush(FileStream stream)
        {
            Flushes++;
            if (FailFlush) throw new IOException("Input/output error");
            base.Flush(stream);
        }

        public override void Rename(string source, string destination)
        {
            if (FailRename) throw new IOException("rename failed");
            base.Rename(source, destination);
        }

        public override void FlushDirectory(string directory)
        {
            DirectoryFlushes++;
            base.FlushDirectory(directory);
        }
    }
}
