using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Storage.Files;

namespace SessionConnector.Storage;

/// <summary>How much a completed file write survives.</summary>
public enum FileDurability
{
    /// <summary>
    /// Survives power loss: the record is fsynced before the rename and the directory after it.
    /// </summary>
    PowerLoss = 0,

    /// <summary>
    /// Survives a process crash, not an OS crash or power loss: writes go through a temp file and an atomic
    /// rename (so a record is always the old or the new one) but are not fsynced. Much faster.
    /// </summary>
    ProcessCrash = 1,
}

/// <summary>
/// One file per session in a directory. File names are the connector's keyed hash of the session ID (never
/// the ID), so a directory listing reveals no live session. Writes go to a temp file in
/// <c>.tmp/</c> (same file system), are flushed, then renamed over the record; a reader sees the old or the
/// new record, never a torn one. Compare-and-set is atomic across threads and processes sharing the
/// directory: each key hashes to one of 64 lock stripes, held with an in-process semaphore plus an exclusive
/// OS file lock on <c>.locks/NN.lock</c>.
/// </summary>
public sealed partial class FileSessionStorage : SessionStorage
{
    private const int Stripes = 64;
    private const int HeaderSize = 24;
    private const string RecordExtension = ".session";
    private static ReadOnlySpan<byte> Magic => "SCF1"u8;

    private readonly string _directory;
    private readonly string _tempDirectory;
    private readonly string _lockDirectory;
    private readonly SemaphoreSlim[] _gates;
    private readonly FileOperations _ops;
    private readonly TimeProvider _time;
    private readonly bool _durable;

    /// <summary>Opens (creating if needed) a store in <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder that holds the records.</param>
    /// <param name="durability">What a completed write survives; see <see cref="FileDurability"/>.</param>
    /// <param name="timeProvider">The clock for expiry; defaults to the system clock.</param>
    public FileSessionStorage(string directory, FileDurability durability = FileDurability.PowerLoss, TimeProvider? timeProvider = null)
        : this(directory, durability, timeProvider, FileOperations.Default)
    {
    }

    internal FileSessionStorage(string directory, FileDurability durability, TimeProvider? timeProvider, FileOperations ops)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = Path.GetFullPath(directory);
        _tempDirectory = Path.Combine(_directory, ".tmp");
        _lockDirectory = Path.Combine(_directory, ".locks");
        Directory.CreateDirectory(_tempDirectory);
        Directory.CreateDirectory(_lockDirectory);
        _durable = durability == FileDurability.PowerLoss;
        _time = timeProvider ?? TimeProvider.System;
        _ops = ops;
        _gates = new SemaphoreSlim[Stripes];
        for (int i = 0; i < Stripes; i++) _gates[i] = new SemaphoreSlim(1, 1);
        Durability = durability;
        RemoveOrphanedTempFiles();
    }

    /// <summary>The folder that holds the records.</summary>
    public string DirectoryPath => _directory;

    /// <summary>What a completed write survives.</summary>
    public FileDurability Durability { get; }

    /// <inheritdoc />
    public override string Kind => "file";

    /// <inheritdoc />
    public override StoredRecord? Read(string key)
    {
        ValidateKey(key);
        string path = RecordPath(key);
        byte[] bytes;
        try
        {
            bytes = System.IO.File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (IOException e)
        {
            throw new SessionStorageException($"Reading session record '{key}' failed.", e);
        }

        return Decode(key, bytes);
    }

    /// <inheritdoc />
    public override async ValueTask<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        string path = RecordPath(key);
        byte[] bytes;
        try
        {
            bytes = await System.IO.File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (IOException e)
        {
            throw new SessionStorageException($"Reading session record '{key}' failed.", e);
        }

        return Decode(key, bytes);
    }

    /// <inheritdoc />
    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        int stripe = ValidateKey(key);
        _gates[stripe].Wait();
        try
        {
            using FileStream osLock = AcquireOsLock(stripe);
            return WriteLocked(key, value.Span, expiresAt, expectedVersion, newVersion);
        }
        finally
        {
            _gates[stripe].Release();
        }
    }

    /// <inheritdoc />
    public override async ValueTask<bool> TryWriteAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, CancellationToken cancellationToken = default)
    {
        int stripe = ValidateKey(key);
        await _gates[stripe].WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The rest is short, bounded file work; it runs on the pool thread that owns the stripe.
            using FileStream osLock = AcquireOsLock(stripe);
            return WriteLocked(key, value.Span, expiresAt, expectedVersion, newVersion);
        }
        finally
        {
            _gates[stripe].Release();
        }
    }

    /// <inheritdoc />
    public override bool Delete(string key)
    {
        int stripe = ValidateKey(key);
        _gates[stripe].Wait();
        try
        {
            using FileStream osLock = AcquireOsLock(stripe);
            bool existed = Read(key) is not null;
            DeleteFile(RecordPath(key));
            return existed;
        }
        finally
        {
            _gates[stripe].Release();
        }
    }

    /// <inheritdoc />
    public override void Clear()
    {
        foreach (string file in Directory.EnumerateFiles(_directory, "*" + RecordExtension))
        {
            DeleteFile(file);
        }

        if (_durable) _ops.FlushDirectory(_directory);
    }

    /// <inheritdoc />
    public override int PurgeExpired()
    {
        int removed = 0;
        DateTimeOffset now = _time.GetUtcNow();
        foreach (string file in Directory.EnumerateFiles(_directory, "*" + RecordExtension))
        {
            string key = Path.GetFileNameWithoutExtension(file);
            int stripe = StripeOf(key);
            _gates[stripe].Wait();
            try
            {
                using FileStream osLock = AcquireOsLock(stripe);
                byte[] bytes;
                try
                {
                    bytes = System.IO.File.ReadAllBytes(file);
                }
                catch (FileNotFoundException)
                {
                    continue;
                }

                if (!TryParse(bytes, out _, out DateTimeOffset? expiresAt, out _) || (expiresAt is { } at && at <= now))
                {
                    DeleteFile(file);
                    removed++;
                }
            }
            finally
            {
                _gates[stripe].Release();
            }
        }

        return removed;
    }

    private bool WriteLocked(string key, ReadOnlySpan<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        string path = RecordPath(key);
        if (expectedVersion != AnyVersion && CurrentVersion(path) != expectedVersion) return false;

        Span<byte> header = stackalloc byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], value.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], newVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], expiresAt?.ToUnixTimeMilliseconds() ?? 0);

        // The PID in the name lets a later open tell a dead writer's leftovers from a live writer's work.
        string temp = Path.Combine(_tempDirectory, $"{key}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            _ops.WriteNew(temp, header, value, _durable);
            _ops.Rename(temp, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DeleteFile(temp);
            throw new SessionStorageException($"Writing session record '{key}' failed; the previous record is intact.", e);
        }

        if (_durable)
        {
            try
            {
                _ops.FlushDirectory(_directory);
            }
            catch (IOException e)
            {
                throw new SessionStorageException($"The record '{key}' was written but flushing its directory failed; it may not survive power loss.", e);
            }
        }

        return true;
    }

    /// <summary>
    /// The version of the live record at <paramref name="path"/>, from its 24-byte header only (the compare in a
    /// compare-and-set needs nothing else); <see cref="SessionStorage.Absent"/> when missing, garbage or expired.
    /// </summary>
    private long CurrentVersion(string path)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            if (stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false) < HeaderSize) return Absent;
            long length = stream.Length;
            if (!header[..4].SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(header[4..]) != length - HeaderSize) return Absent;
        }
        catch (FileNotFoundException)
        {
            return Absent;
        }
        catch (DirectoryNotFoundException)
        {
            return Absent;
        }
        catch (IOException e)
        {
            throw new SessionStorageException("Reading a session record's header failed.", e);
        }

        long ms = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        if (ms != 0 && ms <= _time.GetUtcNow().ToUnixTimeMilliseconds()) return Absent;
        return BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
    }

    private StoredRecord? Decode(string key, byte[] bytes)
    {
        if (!TryParse(bytes, out long version, out DateTimeOffset? expiresAt, out int length))
        {
            // Garbage or a record cut short by a non-durable write before an OS crash: absent, and removed.
            RemoveIfUnchanged(key, bytes);
            return null;
        }

        if (expiresAt is { } at && at <= _time.GetUtcNow())
        {
            RemoveIfUnchanged(key, bytes);
            return null;
        }

        return new StoredRecord(bytes.AsSpan(HeaderSize, length).ToArray(), version, expiresAt);
    }

    private static bool TryParse(byte[] bytes, out long version, out DateTimeOffset? expiresAt, out int length)
    {
        version = 0;
        expiresAt = null;
        length = 0;
        if (bytes.Length < HeaderSize || !bytes.AsSpan(0, 4).SequenceEqual(Magic)) return false;
        length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        if (length < 0 || length != bytes.Length - HeaderSize) return false;
        version = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        if (version == 0) return false;
        long ms = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16));
        if (ms != 0)
        {
            if (ms < -62135596800000L || ms > 253402300799999L) return false;
            expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        return true;
    }

    private void RemoveIfUnchanged(string key, byte[] seen)
    {
        int stripe = StripeOf(key);
        if (!_gates[stripe].Wait(0)) return; // a writer holds the stripe and is about to replace the file anyway
        try
        {
            using FileStream osLock = AcquireOsLock(stripe);
            string path = RecordPath(key);
            byte[] now;
            try
            {
                now = System.IO.File.ReadAllBytes(path);
            }
            catch (IOException)
            {
                return;
            }

            if (now.AsSpan().SequenceEqual(seen)) DeleteFile(path);
        }
        finally
        {
            _gates[stripe].Release();
        }
    }

    private FileStream AcquireOsLock(int stripe)
    {
        string path = Path.Combine(_lockDirectory, stripe.ToString("D2") + ".lock");
        var wait = new SpinWait();
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive advisory lock (flock on Unix) that other processes honour.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
            }
            catch (IOException) when (Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(30))
            {
                wait.SpinOnce(sleep1Threshold: 10);
            }
            catch (IOException e)
            {
                throw new SessionStorageException($"Timed out after 30 s waiting for the lock '{path}' held by another process.", e);
            }
        }
    }

    private void RemoveOrphanedTempFiles()
    {
        // Only .tmp/ is scanned: its size is the number of writes in flight, not the number of sessions,
        // so opening a store stays cheap however many sessions it holds.
        foreach (string file in Directory.EnumerateFiles(_tempDirectory, "*.tmp"))
        {
            string[] parts = Path.GetFileName(file).Split('.');
            bool orphan = parts.Length != 4 || !int.TryParse(parts[1], out int pid) || !IsProcessAlive(pid);
            if (orphan) DeleteFile(file);
        }
    }

    private static bool IsProcessAlive(int pid)
    {
        if (pid == Environment.ProcessId) return false; // our own leftovers are from a previous life of this PID
        if (OperatingSystem.IsLinux()) return Directory.Exists("/proc/" + pid);
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void DeleteFile(string path)
    {
        try
        {
            System.IO.File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private string RecordPath(string key) => Path.Combine(_directory, key + RecordExtension);

    private static int ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        // Defence in depth: the connector passes 43-char base64url hashes; anything else must not become a path.
        foreach (char c in key)
        {
            if (!((uint)(c - 'a') <= 25 || (uint)(c - 'A') <= 25 || (uint)(c - '0') <= 9 || c == '-' || c == '_'))
            {
                throw new ArgumentException("Storage keys may contain only base64url characters.", nameof(key));
            }
        }

        if (key.Length is 0 or > 128) throw new ArgumentException("Storage keys must be 1 to 128 characters.", nameof(key));
        return StripeOf(key);
    }

    private static int StripeOf(string key)
    {
        // A stable hash (not string.GetHashCode, which is randomised per process): two processes must agree.
        uint h = 2166136261;
        foreach (char c in key) h = (h ^ c) * 16777619;
        return (int)(h % Stripes);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (SemaphoreSlim gate in _gates) gate.Dispose();
        }
    }
}
