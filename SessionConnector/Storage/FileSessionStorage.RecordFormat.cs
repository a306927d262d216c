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

// The record format: the 24-byte header (magic, version, expiry, length), parsing it and reading record files.
public sealed partial class FileSessionStorage
{
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

    private enum HeaderState
    {
        Missing,
        Garbage,
        Expired,
        Live,
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

    /// <summary>The whole file, or null when it does not exist.</summary>
    private static async ValueTask<byte[]?> ReadAllBytes(string path, bool async, CancellationToken cancellationToken)
    {
        using SafeFileHandle? handle = OpenForRead(path, async);
        if (handle is null) return null;
        long length = RandomAccess.GetLength(handle);
        if (length > Array.MaxLength) throw new IOException($"The file is {length} bytes, larger than any session record.");
        byte[] bytes = new byte[length];
        int read = 0;
        // On Unix RandomAccess.ReadAsync is a synchronous pread run on a thread-pool thread: for a record of a few hundred
        // bytes that hop (a work item, a context switch, its allocations) costs more than the read, and the open above
        // already blocked this thread as long. So Unix reads in place; Windows keeps its overlapped read.
        bool readAsync = async && !UnixFiles.IsUnix;
        while (read < bytes.Length)
        {
            int n = readAsync
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
        // the open answers null instead. Async changes nothing there: Unix reads a record in place (see ReadAllBytes).
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
}
