using System;
using System.Buffers;
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

// The record format: a two-slot record file (see Files.RecordSlots), or a one-record file of earlier builds (SCF1: a 24-byte
// header of magic, length, version and expiry, then the envelope), which reads as before and becomes a two-slot file at
// its next write. A read hands on a record's image: the live slot (its 40-byte header and payload), the whole SCF1 file,
// or, when neither parses, the raw bytes (garbage, which TryParse refuses).
public sealed partial class FileSessionStorage
{
    // The read's one core returns the bytes, not a StoredRecord: an async builder over StoredRecord? (it holds a
    // DateTimeOffset?) would link date formatting and time-zone data (~150 KB) into every NativeAOT app, sync-only or not.
    // locked: the caller holds the record's stripe locks, so no writer can change the file while it is read (see ReadImage).
    private static async ValueTask<byte[]?> ReadRecordFile(string path, bool locked, bool async, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadAllBytes(path, locked, async, cancellationToken).ConfigureAwait(false);
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

    /// <summary>What a record's image says: garbage, expired or live, and its version.</summary>
    private static HeaderState StateOf(byte[]? image, DateTimeOffset now, out long version)
    {
        version = 0;
        if (image is null) return HeaderState.Missing;
        if (!TryParse(image, out version, out DateTimeOffset? expiresAt, out _, out _)) return HeaderState.Garbage;
        return expiresAt is { } at && at <= now ? HeaderState.Expired : HeaderState.Live;
    }

    /// <summary>
    /// The state of the record at <paramref name="path"/>, read under its stripe's locks (whole: a slot is valid only with
    /// its checksum).
    /// </summary>
    private static HeaderState ReadState(string path, DateTimeOffset now, out long version) =>
        StateOf(Sync.Result(ReadRecordFile(path, locked: true, async: false, CancellationToken.None)), now, out version);

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

        if (!TryParse(bytes, out long version, out DateTimeOffset? expiresAt, out int offset, out int length))
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

        return new StoredRecord(bytes.AsSpan(offset, length).ToArray(), version, expiresAt);
    }

    /// <summary>Parses a record's image: an SCF1 file or a live slot (checksum included); the payload's offset and length.</summary>
    private static bool TryParse(byte[] bytes, out long version, out DateTimeOffset? expiresAt, out int offset, out int length)
    {
        version = 0;
        expiresAt = null;
        length = 0;
        offset = 0;
        ReadOnlySpan<byte> image = bytes;
        if (image.Length >= LegacyHeaderSize && image[..4].SequenceEqual(LegacyMagic))
        {
            length = BinaryPrimitives.ReadInt32LittleEndian(image[4..]);
            if (length < 0 || length != image.Length - LegacyHeaderSize) return false;
            offset = LegacyHeaderSize;
        }
        else if (RecordSlots.TryReadSlot(image, out _, out length) && length == image.Length - RecordSlots.SlotHeaderSize)
        {
            offset = RecordSlots.SlotHeaderSize;
        }
        else
        {
            return false;
        }

        // Both headers keep the version at 8 and the expiry at 16.
        version = BinaryPrimitives.ReadInt64LittleEndian(image[8..]);
        if (version == 0) return false;
        long ms = BinaryPrimitives.ReadInt64LittleEndian(image[16..]);
        if (ms != 0)
        {
            if (ms < MinExpiryMs || ms > MaxExpiryMs) return false;
            expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        return true;
    }

    /// <summary>The record's image (see the top of this file), or null when the file does not exist.</summary>
    private static async ValueTask<byte[]?> ReadAllBytes(string path, bool locked, bool async, CancellationToken cancellationToken)
    {
        using SafeFileHandle? handle = OpenForRead(path, async);
        if (handle is null) return null;
        return (await ReadImage(handle, locked, async, cancellationToken).ConfigureAwait(false)).Image;
    }

    /// <summary>A record file's image, and its live slot when it is a two-slot file.</summary>
    /// <remarks>
    /// Readers take no lock, so a writer may rewrite a slot while this reads it. A slot caught half-written fails its
    /// checksum and the other one is live, which is right: that write has not returned yet. But a reader slowed down between
    /// the two slots could see an old slot 0, and slot 1 caught mid-way through the write after next, and so return a
    /// record older than one already acknowledged. So once the file is read, both slot headers are read again: every
    /// completed write changes one (its sequence grows), so headers that did not change mean nothing completed in between,
    /// and the image is one the file held at that moment. Otherwise the file is read again, backing off (a yield, then short
    /// sleeps) while a writer keeps rewriting it: each write holds the record's lock, so the reader gets a quiet moment.
    /// A caller that holds the record's stripe locks (<paramref name="locked"/>) shuts every writer out, so it skips this.
    /// </remarks>
    private static async ValueTask<RecordImage> ReadImage(SafeFileHandle handle, bool locked, bool async, CancellationToken cancellationToken)
    {
        long fileLength = RandomAccess.GetLength(handle);
        if (fileLength > Array.MaxLength) throw new IOException($"The file is {fileLength} bytes, larger than any session record.");
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)fileLength);
        try
        {
            var backOff = new SpinWait();
            while (true)
            {
                int read = await ReadFully(handle, buffer.AsMemory(0, (int)fileLength), async, cancellationToken).ConfigureAwait(false);
                ReadOnlySpan<byte> file = buffer.AsSpan(0, read);
                int slotSize = RecordSlots.SlotSizeOf(file);
                if (!locked && slotSize != 0 && !SlotHeadersUnchanged(handle, file, slotSize))
                {
                    backOff.SpinOnce();
                    continue;
                }

                return RecordSlots.TryFindLive(file, out LiveSlot live)
                    ? new RecordImage(file.Slice(live.Start, live.Length).ToArray(), live)
                    : new RecordImage(file.ToArray(), default);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool SlotHeadersUnchanged(SafeFileHandle handle, ReadOnlySpan<byte> file, int slotSize)
    {
        Span<byte> header = stackalloc byte[RecordSlots.SlotHeaderSize];
        for (int slot = 0; slot < 2; slot++)
        {
            int start = (int)RecordSlots.SlotOffset(slot, slotSize);
            if (RandomAccess.Read(handle, header, start) != header.Length) return false;
            if (!header.SequenceEqual(file.Slice(start, header.Length))) return false;
        }

        return true;
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the file ends; the bytes read.</summary>
    private static async ValueTask<int> ReadFully(SafeFileHandle handle, Memory<byte> buffer, bool async, CancellationToken cancellationToken)
    {
        int read = 0;
        // On Unix RandomAccess.ReadAsync is a synchronous pread run on a thread-pool thread: for a record of a few hundred
        // bytes that hop (a work item, a context switch, its allocations) costs more than the read, and the open above
        // already blocked this thread as long. So Unix reads in place; Windows keeps its overlapped read.
        bool readAsync = async && !UnixFiles.IsUnix;
        while (read < buffer.Length)
        {
            int n = readAsync
                ? await RandomAccess.ReadAsync(handle, buffer[read..], read, cancellationToken).ConfigureAwait(false)
                : RandomAccess.Read(handle, buffer.Span[read..], read);
            if (n == 0) break; // shrank while read: its parse fails, and it reads as absent
            read += n;
        }

        return read;
    }

    /// <summary>A record file's image (see the top of this file) and, for a two-slot file with a valid slot, its live slot.</summary>
    private readonly record struct RecordImage(byte[] Image, LiveSlot Live)
    {
        public bool InSlots => Live.SlotSize != 0;
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
