using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using SessionConnector.Internal;
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
/// <remarks>
/// The store is private to the user running the process: directories are created 0700 and files 0600, and a store
/// whose directory, <c>.tmp</c> or <c>.locks</c> is a symbolic link or belongs to another user is refused. Every I/O
/// failure surfaces as a <see cref="SessionStorageException"/> naming the path and the cause. A background sweep
/// removes expired records a batch at a time (see <see cref="FileSessionStorageOptions.SweepInterval"/>).
/// </remarks>
public sealed partial class FileSessionStorage : SessionStorage
{
    private const int Stripes = 64;
    private const int HeaderSize = 24;
    private const string RecordExtension = ".session";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private static ReadOnlySpan<byte> Magic => "SCF1"u8;

    private readonly string _directory;
    private readonly string _tempDirectory;
    private readonly string _lockDirectory;
    private readonly SemaphoreSlim[] _gates;
    private readonly FileOperations _ops;
    private readonly TimeProvider _time;
    private readonly bool _durable;
    private readonly int _sweepBatchSize;
    private readonly ITimer? _sweepTimer;
    // The sweep's place in the directory between ticks; only the tick that holds _sweeping touches it.
    private IEnumerator<string>? _sweepCursor;
    private int _sweeping;
    private volatile bool _disposed;

    /// <summary>Opens (creating if needed) a store in <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder that holds the records.</param>
    /// <param name="durability">What a completed write survives; see <see cref="FileDurability"/>.</param>
    /// <param name="timeProvider">The clock for expiry; defaults to the system clock.</param>
    /// <exception cref="SessionStorageException">The directory cannot be used (see <see cref="FileSessionStorage(string, FileSessionStorageOptions)"/>).</exception>
    public FileSessionStorage(string directory, FileDurability durability = FileDurability.PowerLoss, TimeProvider? timeProvider = null)
        : this(directory, new FileSessionStorageOptions { Durability = durability, TimeProvider = timeProvider })
    {
    }

    /// <summary>Opens (creating if needed) a store in <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder that holds the records.</param>
    /// <param name="options">Durability, clock and sweep settings.</param>
    /// <exception cref="SessionStorageException">
    /// The directory cannot be created or opened, or it, its <c>.tmp</c> or its <c>.locks</c> is a symbolic link or owned
    /// by another user.
    /// </exception>
    public FileSessionStorage(string directory, FileSessionStorageOptions options)
        : this(directory, options, FileOperations.Default)
    {
    }

    internal FileSessionStorage(string directory, FileDurability durability, TimeProvider? timeProvider, FileOperations ops)
        : this(directory, new FileSessionStorageOptions { Durability = durability, TimeProvider = timeProvider }, ops)
    {
    }

    internal FileSessionStorage(string directory, FileSessionStorageOptions options, FileOperations ops)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SweepBatchSize, 1, nameof(options));
        // Normalised so "a" and "a/" are one store (one development key, one configuration).
        _directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        _tempDirectory = Path.Combine(_directory, ".tmp");
        _lockDirectory = Path.Combine(_directory, ".locks");
        // The store first: nothing is created through (or inside) a directory that is not ours.
        EnsurePrivateDirectory(_directory);
        EnsurePrivateDirectory(_tempDirectory);
        EnsurePrivateDirectory(_lockDirectory);
        _durable = options.Durability == FileDurability.PowerLoss;
        _time = options.TimeProvider ?? TimeProvider.System;
        _ops = ops;
        _gates = new SemaphoreSlim[Stripes];
        for (int i = 0; i < Stripes; i++) _gates[i] = new SemaphoreSlim(1, 1);
        Durability = options.Durability;
        _sweepBatchSize = options.SweepBatchSize;
        RemoveOrphanedTempFiles();
        if (options.SweepInterval > TimeSpan.Zero && options.SweepInterval != Timeout.InfiniteTimeSpan)
        {
            // A weak reference: the timer must not keep an abandoned store alive.
            _sweepTimer = _time.CreateTimer(static state =>
            {
                if (((WeakReference<FileSessionStorage>)state!).TryGetTarget(out FileSessionStorage? store)) store.SweepOnce();
            }, new WeakReference<FileSessionStorage>(this), options.SweepInterval, options.SweepInterval);
        }
    }

    /// <summary>The folder that holds the records.</summary>
    public string DirectoryPath => _directory;

    /// <summary>What a completed write survives.</summary>
    public FileDurability Durability { get; }

    /// <inheritdoc />
    public override string Kind => "file";

    /// <inheritdoc />
    public override string? Location => _directory;

    /// <inheritdoc />
    public override StoredRecord? Read(string key)
    {
        ValidateKey(key);
        return Decode(key, Sync.Result(ReadRecordFile(RecordPath(key), async: false, CancellationToken.None)));
    }

    /// <inheritdoc />
    public override async ValueTask<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        return Decode(key, await ReadRecordFile(RecordPath(key), async: true, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion) =>
        Sync.Result(WriteCore(key, value, expiresAt, expectedVersion, newVersion, async: false, CancellationToken.None));

    /// <inheritdoc />
    public override ValueTask<bool> TryWriteAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, CancellationToken cancellationToken = default) =>
        WriteCore(key, value, expiresAt, expectedVersion, newVersion, async: true, cancellationToken);

    /// <inheritdoc />
    public override bool Delete(string key) => Sync.Result(DeleteCore(key, async: false, CancellationToken.None));

    /// <inheritdoc />
    public override ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        DeleteCore(key, async: true, cancellationToken);

    /// <inheritdoc />
    public override void Clear()
    {
        try
        {
            foreach (string file in Directory.EnumerateFiles(_directory, "*" + RecordExtension))
            {
                DeleteFile(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Clearing the session store '{_directory}' failed: {e.Message}", e);
        }

        FlushDirectoryIfDurable("cleared");
    }

    /// <inheritdoc />
    public override int PurgeExpired()
    {
        int removed = 0;
        DateTimeOffset now = _time.GetUtcNow();
        try
        {
            foreach (string file in Directory.EnumerateFiles(_directory, "*" + RecordExtension))
            {
                if (RemoveIfExpired(file, now, wait: true)) removed++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Purging expired records from '{_directory}' failed: {e.Message}", e);
        }

        if (removed > 0) FlushDirectoryIfDurable("purged");
        return removed;
    }

    // The read's one core returns the bytes, not a StoredRecord: an async builder over StoredRecord? (it holds a
    // DateTimeOffset?) would link date formatting and time-zone data (~150 KB) into every NativeAOT app, sync-only or not.
    private static async ValueTask<byte[]?> ReadRecordFile(string path, bool async, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadAllBytes(path, async, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Reading the session record '{path}' failed: {e.Message}", e);
        }
    }

    private async ValueTask<bool> WriteCore(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, bool async, CancellationToken cancellationToken)
    {
        int stripe = ValidateKey(key);
        using StripeLock held = await LockStripe(stripe, async, cancellationToken).ConfigureAwait(false);
        // The rest is short, bounded file work; it runs on the thread that owns the stripe.
        return WriteLocked(key, value.Span, expiresAt, expectedVersion, newVersion);
    }

    private async ValueTask<bool> DeleteCore(string key, bool async, CancellationToken cancellationToken)
    {
        int stripe = ValidateKey(key);
        using StripeLock held = await LockStripe(stripe, async, cancellationToken).ConfigureAwait(false);
        string path = RecordPath(key);
        bool existed = CurrentVersion(path) != Absent;
        DeleteRecordFile(path);
        // A logout must survive power loss like a write does: the unlink is durable only once the directory is.
        FlushDirectoryIfDurable($"deleted ('{path}')");
        return existed;
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
            DeleteQuietly(temp);
            throw new SessionStorageException($"Writing the session record '{path}' failed: {e.Message}; the previous record is intact.", e);
        }

        FlushDirectoryIfDurable($"written ('{path}')");
        return true;
    }

    private enum HeaderState
    {
        Missing,
        Garbage,
        Expired,
        Live,
    }

    /// <summary>
    /// The version of the live record at <paramref name="path"/>, from its 24-byte header only (the compare in a
    /// compare-and-set needs nothing else); <see cref="SessionStorage.Absent"/> when missing, garbage or expired.
    /// </summary>
    private long CurrentVersion(string path)
    {
        HeaderState state = ReadHeader(path, _time.GetUtcNow(), out long version);
        if (state == HeaderState.Missing) EnsureStorePresent();
        return state == HeaderState.Live ? version : Absent;
    }

    /// <summary>
    /// A missing record means "absent" only while the store itself is there. A store folder that was removed, replaced by
    /// a file or another folder, or unmounted (the mount point left empty) has lost its <c>.locks</c> folder with it; the
    /// one stat here, paid only when a record is missing, turns that into a typed failure instead of "no session", which
    /// would sign every user out silently.
    /// </summary>
    /// <exception cref="SessionStorageException">The store folder is gone.</exception>
    private void EnsureStorePresent()
    {
        if (!Directory.Exists(_lockDirectory))
        {
            throw new SessionStorageException(
                $"The session store '{_directory}' is gone: the folder was removed, replaced or unmounted ('{_lockDirectory}' is missing). Reads and writes fail until it is restored; a store recreated empty needs a restart.")
            { StorageKind = Kind };
        }
    }

    private static HeaderState ReadHeader(string path, DateTimeOffset now, out long version)
    {
        version = 0;
        Span<byte> header = stackalloc byte[HeaderSize];
        try
        {
            using SafeFileHandle? handle = OpenForRead(path, async: false);
            if (handle is null) return HeaderState.Missing;
            if (RandomAccess.Read(handle, header, 0) < HeaderSize) return HeaderState.Garbage;
            if (!header[..4].SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(header[4..]) != RandomAccess.GetLength(handle) - HeaderSize)
            {
                return HeaderState.Garbage;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Reading the header of the session record '{path}' failed: {e.Message}", e);
        }

        version = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        long ms = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        if (version == 0 || ms < MinExpiryMs || ms > MaxExpiryMs) return HeaderState.Garbage;
        return ms != 0 && ms <= now.ToUnixTimeMilliseconds() ? HeaderState.Expired : HeaderState.Live;
    }

    // The range DateTimeOffset can hold; anything else in a header is garbage.
    private const long MinExpiryMs = -62135596800000L;
    private const long MaxExpiryMs = 253402300799999L;

    private StoredRecord? Decode(string key, byte[]? bytes)
    {
        if (bytes is null)
        {
            EnsureStorePresent();
            return null;
        }

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
            if (ms < MinExpiryMs || ms > MaxExpiryMs) return false;
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
            using SafeFileHandle osLock = Sync.Result(AcquireOsLock(stripe, async: false, CancellationToken.None));
            string path = RecordPath(key);
            byte[]? now;
            try
            {
                now = Sync.Result(ReadAllBytes(path, async: false, CancellationToken.None));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return; // the read that found it bad succeeded; leave the clean-up to a later read or the sweep
            }

            if (now is not null && now.AsSpan().SequenceEqual(seen)) DeleteRecordFile(path);
        }
        finally
        {
            _gates[stripe].Release();
        }
    }

    // Removes the record file if it is expired or garbage (checked under its stripe's locks). The background sweep
    // passes wait: false, so a stripe in use is skipped rather than waited for.
    private bool RemoveIfExpired(string file, DateTimeOffset now, bool wait)
    {
        string key = Path.GetFileNameWithoutExtension(file);
        if (!IsStorageKeyShape(key)) return false; // not a record this store wrote; leave it alone
        int stripe = StripeOf(key);
        SemaphoreSlim gate = _gates[stripe];
        if (wait) gate.Wait();
        else if (!gate.Wait(0)) return false;
        try
        {
            using SafeFileHandle? osLock = wait ? Sync.Result(AcquireOsLock(stripe, async: false, CancellationToken.None)) : TryLockFile(LockPath(stripe));
            if (osLock is null) return false;
            HeaderState state = ReadHeader(file, now, out _);
            if (state is not (HeaderState.Expired or HeaderState.Garbage)) return false;
            DeleteRecordFile(file);
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// One background sweep step: looks at up to <see cref="FileSessionStorageOptions.SweepBatchSize"/> record files,
    /// resuming where the previous step stopped, and removes the expired ones. Returns how many it removed.
    /// </summary>
    internal int SweepOnce()
    {
        // Ticks never overlap (a slow tick makes the next one a no-op), and Dispose takes this flag for good.
        if (Interlocked.Exchange(ref _sweeping, 1) != 0) return 0;
        int removed = 0;
        try
        {
            if (_disposed) return 0;
            DateTimeOffset now = _time.GetUtcNow();
            _sweepCursor ??= Directory.EnumerateFiles(_directory, "*" + RecordExtension).GetEnumerator();
            for (int seen = 0; seen < _sweepBatchSize; seen++)
            {
                if (!_sweepCursor.MoveNext())
                {
                    // End of a pass; the next tick starts a new one.
                    _sweepCursor.Dispose();
                    _sweepCursor = null;
                    break;
                }

                if (RemoveIfExpired(_sweepCursor.Current, now, wait: false)) removed++;
            }

            if (removed > 0) FlushDirectoryIfDurable("swept");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SessionStorageException)
        {
            // A background tick has no caller to tell: the records stay, and the next tick starts a fresh pass.
            _sweepCursor?.Dispose();
            _sweepCursor = null;
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }

        return removed;
    }

    /// <summary>The whole file, or null when it does not exist.</summary>
    private static async ValueTask<byte[]?> ReadAllBytes(string path, bool async, CancellationToken cancellationToken)
    {
        using SafeFileHandle? handle = OpenForRead(path, async);
        if (handle is null) return null;
        long length = RandomAccess.GetLength(handle);
        if (length > Array.MaxLength) throw new IOException($"The file is {length} bytes, larger than any session record.");
        byte[] bytes = new byte[length];
        int read = 0;
        while (read < bytes.Length)
        {
            int n = async
                ? await RandomAccess.ReadAsync(handle, bytes.AsMemory(read), read, cancellationToken).ConfigureAwait(false)
                : RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0) return bytes.AsSpan(0, read).ToArray(); // shrank while read: its parse fails, and it reads as absent
            read += n;
        }

        return bytes;
    }

    private static SafeFileHandle? OpenForRead(string path, bool async)
    {
        // A missing record is the common case of a read (a new session, a CAS on a fresh key); the BCL reports it with a
        // FileNotFoundException (~50 µs for the first one in a process, ~13 µs after) and a stat of the folder, so on Unix
        // the open answers null instead. Async changes nothing there: Unix file reads are thread-pool reads either way.
        if (UnixFiles.IsUnix) return UnixFiles.OpenForRead(path);
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                async ? FileOptions.Asynchronous : FileOptions.None);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    private async ValueTask<StripeLock> LockStripe(int stripe, bool async, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate = _gates[stripe];
        if (async) await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        else gate.Wait(cancellationToken);
        try
        {
            return new StripeLock(gate, await AcquireOsLock(stripe, async, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    private async ValueTask<SafeFileHandle> AcquireOsLock(int stripe, bool async, CancellationToken cancellationToken)
    {
        string path = LockPath(stripe);
        var wait = new SpinWait();
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            if (TryLockFile(path) is { } handle) return handle;
            if (Stopwatch.GetElapsedTime(start) >= LockTimeout)
            {
                throw new SessionStorageException($"Timed out after {LockTimeout.TotalSeconds:F0} s waiting for the lock '{path}' held by another process.");
            }

            if (async) await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            else wait.SpinOnce(sleep1Threshold: 10);
        }
    }

    /// <summary>Opens and exclusively locks a stripe's lock file; null when another process holds it.</summary>
    private static SafeFileHandle? TryLockFile(string path)
    {
        try
        {
            if (!UnixFiles.IsUnix)
            {
                try
                {
                    // FileShare.None is the lock on Windows: a sharing violation means another holder.
                    return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException))
                {
                    return null;
                }
            }

            // O_NOFOLLOW, created 0600: a planted symbolic link is refused, never followed, and the file is ours alone.
            SafeFileHandle handle = UnixFiles.OpenNoFollow(path, write: true, create: true)!;
            try
            {
                // flock: an advisory lock that other processes (and older versions of this store) honour.
                if (UnixFiles.TryLockExclusive(handle, path)) return handle;
            }
            catch
            {
                handle.Dispose();
                throw;
            }

            handle.Dispose();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Opening the lock file '{path}' failed: {e.Message}", e);
        }
    }

    private string LockPath(int stripe) => Path.Combine(_lockDirectory, stripe.ToString("D2", CultureInfo.InvariantCulture) + ".lock");

    /// <summary>Both locks of a stripe: the in-process gate and the OS file lock.</summary>
    private readonly struct StripeLock(SemaphoreSlim gate, SafeFileHandle osLock) : IDisposable
    {
        public void Dispose()
        {
            osLock.Dispose();
            gate.Release();
        }
    }

    private static void EnsurePrivateDirectory(string path)
    {
        string? problem;
        try
        {
            problem = UnixFiles.EnsurePrivateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new SessionStorageException($"The session store directory '{path}' cannot be created or opened: {e.Message}", e);
        }

        if (problem is not null)
        {
            throw new SessionStorageException($"Refusing the session store directory '{path}': it {problem}. A store must be a real directory owned by the user running the app.");
        }
    }

    private void RemoveOrphanedTempFiles()
    {
        // Only .tmp/ is scanned: its size is the number of writes in flight, not the number of sessions,
        // so opening a store stays cheap however many sessions it holds. .tmp was checked to be our own directory
        // (not a link elsewhere), and unlink never follows a link, so nothing outside the store is touched.
        try
        {
            foreach (string file in Directory.EnumerateFiles(_tempDirectory, "*.tmp"))
            {
                string[] parts = Path.GetFileName(file).Split('.');
                bool orphan = parts.Length != 4 || !int.TryParse(parts[1], out int pid) || !IsProcessAlive(pid);
                if (orphan) File.Delete(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Removing orphaned temp files from '{_tempDirectory}' failed: {e.Message}", e);
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

    /// <summary>unlink(2): removes the entry itself, never what a symbolic link points to.</summary>
    private static void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static void DeleteRecordFile(string path)
    {
        try
        {
            DeleteFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Deleting the session record '{path}' failed: {e.Message}", e);
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            DeleteFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort while reporting another failure; the next open removes the orphan.
        }
    }

    private void FlushDirectoryIfDurable(string what)
    {
        if (!_durable) return;
        try
        {
            _ops.FlushDirectory(_directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"The session store '{_directory}' was {what}, but flushing the directory failed: {e.Message}; the change may not survive power loss.", e);
        }
    }

    private string RecordPath(string key) => Path.Combine(_directory, key + RecordExtension);

    private static int ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        // Defence in depth: the connector passes 43-char base64url hashes; anything else must not become a path.
        foreach (char c in key)
        {
            if (!IsKeyChar(c))
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

    private static bool IsKeyChar(char c) =>
        (uint)(c - 'a') <= 25 || (uint)(c - 'A') <= 25 || (uint)(c - '0') <= 9 || c == '-' || c == '_';

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing || _disposed) return;
        _disposed = true;
        _sweepTimer?.Dispose();
        // Wait out a tick in progress, then keep the flag: no tick touches the gates once they are disposed.
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _sweeping, 1, 0) != 0) spin.SpinOnce();
        _sweepCursor?.Dispose();
        _sweepCursor = null;
        foreach (SemaphoreSlim gate in _gates) gate.Dispose();
    }
}
