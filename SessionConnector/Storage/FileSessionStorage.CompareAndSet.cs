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

// Compare-and-set: writes and deletes under the key's stripe lock, checked against the live record's version.
public sealed partial class FileSessionStorage
{
    private async ValueTask<bool> WriteCore(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, bool async, CancellationToken cancellationToken)
    {
        int stripe = BeginOperation(key);
        using StripeLock held = await LockStripe(stripe, async, cancellationToken).ConfigureAwait(false);
        // An async durable write blocks in fsync for milliseconds: it runs on a durable-I/O thread, not a pool thread (see
        // DurableIoThreads). The stripe stays held until it is done, and the token is not passed on: a write that started
        // finishes, so the lock is never released under a half-done write. Without fsyncs the file work is short and runs here.
        if (async && _durable)
        {
            return await DurableIoThreads.Run(() => WriteLocked(key, value.Span, expiresAt, expectedVersion, newVersion)).ConfigureAwait(false);
        }

        return WriteLocked(key, value.Span, expiresAt, expectedVersion, newVersion);
    }

    private async ValueTask<bool> DeleteCore(string key, bool async, CancellationToken cancellationToken)
    {
        int stripe = BeginOperation(key);
        using StripeLock held = await LockStripe(stripe, async, cancellationToken).ConfigureAwait(false);
        // A durable delete fsyncs the directory: off the thread pool like a durable write (see WriteCore).
        if (async && _durable) return await DurableIoThreads.Run(() => DeleteLocked(key)).ConfigureAwait(false);
        return DeleteLocked(key);
    }

    private bool DeleteLocked(string key)
    {
        string path = RecordPath(key);
        bool existed = CurrentVersion(path) != Absent;
        DeleteRecordFile(key, path);
        // A logout must survive power loss like a write does: the unlink is durable only once the directory is.
        FlushDirectoryIfDurable($"deleted ('{path}')");
        return existed;
    }

    private bool WriteLocked(string key, ReadOnlySpan<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        string path = RecordPath(key);
        long expiryMs = expiresAt?.ToUnixTimeMilliseconds() ?? 0;
        using SafeFileHandle? handle = OpenForUpdate(path, out bool missing);
        RecordImage current = handle is null ? ReadImageAt(path) : ReadImageLocked(handle, path);
        if (expectedVersion != AnyVersion && VersionOf(current) != expectedVersion) return false;

        // An update of a two-slot file it still fits: in place. A new record: created at its path. Anything else (an SCF1
        // file, garbage, a record that outgrew its slots, a damaged file header, a sequence at its end, not Linux): a new
        // two-slot file, renamed into place.
        LiveSlot live = current.Live;
        if (handle is not null && current.InSlots && live.HeaderIntact && live.Sequence < long.MaxValue
            && value.Length <= RecordSlots.Capacity(live.SlotSize))
        {
            WriteInPlace(key, path, handle, live, value, newVersion, expiryMs);
            return true;
        }

        if (value.Length > RecordSlots.MaxPayload)
        {
            throw new SessionStorageException($"Writing the session record '{path}' failed: {value.Length} bytes is more than a record file holds ({RecordSlots.MaxPayload}); the previous record is intact.");
        }

        int slotSize = RecordSlots.SlotSizeFor(value.Length);
        Span<byte> header = stackalloc byte[RecordSlots.FileHeaderSize + RecordSlots.SlotHeaderSize];
        RecordSlots.WriteFileHeader(header, slotSize);
        RecordSlots.WriteSlotHeader(header[RecordSlots.FileHeaderSize..], value, newVersion, expiryMs, sequence: 1);
        // Only when nothing is there: not even a link, which O_EXCL would refuse and a rename replaces.
        if (missing && current.Image is null)
        {
            CreateInPlace(key, path, header, value, 2 * slotSize);
            return true;
        }

        // The PID in the name tells a person whose file it was; a later open tells a dead writer's leftovers from a live
        // writer's work by the stripe lock this write holds until the file is gone (see RemoveOrphanedTempFiles).
        string temp = Path.Combine(_tempDirectory, $"{key}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            _ops.WriteNew(temp, header, value, 2 * slotSize, _durable);
            // Odd only around the rename (the moment other processes can see the change), even again whatever it did.
            int slot = ChangeTable.SlotOf(key);
            _changes?.BeginChange(slot);
            try
            {
                _ops.Rename(temp, path);
            }
            finally
            {
                _changes?.EndChange(slot);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DeleteQuietly(temp);
            throw new SessionStorageException($"Writing the session record '{path}' failed: {e.Message}; the previous record is intact.", e);
        }

        FlushDirectoryIfDurable($"written ('{path}')");
        return true;
    }

    /// <summary>
    /// Creates a new record's file at its own path (<c>O_CREAT | O_EXCL</c>, 0600), flushes it, then its directory: no temp
    /// file and no rename, so the flush of the file commits its directory entry with it and the directory's flush that
    /// follows has little left to do (issue 27: a login creates up to three records).
    /// </summary>
    /// <remarks>
    /// Safe without a rename because there was no record to keep: until the file is whole, a reader finds no valid slot
    /// and answers "absent", which is right for a write that has not returned, and garbage is removed only under this
    /// record's locks, which this write holds. A write cut short leaves garbage that reads as absent (and is removed), the
    /// state before it.
    /// </remarks>
    private void CreateInPlace(string key, string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> value, int length)
    {
        int slot = ChangeTable.SlotOf(key);
        _changes?.BeginChange(slot);
        try
        {
            _ops.WriteNew(path, header, value, length, _durable);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DeleteQuietly(path);
            throw new SessionStorageException($"Writing the session record '{path}' failed: {e.Message}; no record was created.", e);
        }
        finally
        {
            _changes?.EndChange(slot);
        }

        FlushDirectoryIfDurable($"written ('{path}')");
    }

    /// <summary>
    /// Rewrites the slot that is not live with the new record (its sequence one past the live one's), then flushes the
    /// file's data when durable: the live record is never touched, so a write cut short leaves it as it was.
    /// </summary>
    private void WriteInPlace(string key, string path, SafeFileHandle handle, LiveSlot live, ReadOnlySpan<byte> value, long version, long expiryMs)
    {
        long offset = RecordSlots.SlotOffset(1 - live.Index, live.SlotSize);
        int length = RecordSlots.SlotHeaderSize + value.Length;
        byte[] slot = ArrayPool<byte>.Shared.Rent(length);
        int changeSlot = ChangeTable.SlotOf(key);
        try
        {
            RecordSlots.WriteSlotHeader(slot, value, version, expiryMs, live.Sequence + 1);
            value.CopyTo(slot.AsSpan(RecordSlots.SlotHeaderSize));
            // Odd around the write, the moment other processes can see the change, as around a rename.
            _changes?.BeginChange(changeSlot);
            try
            {
                _ops.WriteAt(handle, slot.AsSpan(0, length), offset);
            }
            finally
            {
                _changes?.EndChange(changeSlot);
            }

            if (_durable) _ops.FlushData(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Unwrite(key, handle, offset);
            throw new SessionStorageException($"Writing the session record '{path}' failed: {e.Message}; the previous record is intact.", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(slot);
        }
    }

    /// <summary>
    /// After a failed in-place write, blanks the slot's header, so no reader takes the record this call reports as not
    /// written (a failed flush leaves it readable in the page cache). Best effort: the live slot is intact either way.
    /// </summary>
    private void Unwrite(string key, SafeFileHandle handle, long offset)
    {
        int changeSlot = ChangeTable.SlotOf(key);
        _changes?.BeginChange(changeSlot);
        try
        {
            _ops.WriteAt(handle, new byte[RecordSlots.SlotHeaderSize], offset);
            if (_durable) _ops.FlushData(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The failure being reported already says the write did not happen; this one adds nothing.
        }
        finally
        {
            _changes?.EndChange(changeSlot);
        }
    }

    /// <summary>
    /// The record file opened for an in-place update: read-write, never through a symbolic link. Null when it is missing
    /// (<paramref name="missing"/>: nothing at all is at the path) or cannot be opened so; the write then reads the record
    /// by its path and replaces the file, as it replaces a link, which a rename does not follow. Linux only: there
    /// <c>fdatasync</c> flushes an overwrite to the device. Elsewhere every write is a new file, flushed by the BCL (which
    /// uses <c>F_FULLFSYNC</c> on macOS, where a plain <c>fsync</c> leaves the data in the drive's cache).
    /// </summary>
    private static SafeFileHandle? OpenForUpdate(string path, out bool missing)
    {
        missing = false;
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            SafeFileHandle? handle = UnixFiles.OpenNoFollow(path, write: true, create: false);
            missing = handle is null;
            return handle;
        }
        catch (IOException)
        {
            return null; // a link (ELOOP), a file not ours to write, ...: replaced by a rename
        }
    }

    private static RecordImage ReadImageLocked(SafeFileHandle handle, string path)
    {
        try
        {
            return Sync.Result(ReadImage(handle, locked: true, async: false, CancellationToken.None));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Reading the session record '{path}' failed: {e.Message}", e);
        }
    }

    /// <summary>The record at <paramref name="path"/>; an empty image when it is missing (and the store is there).</summary>
    private RecordImage ReadImageAt(string path)
    {
        SafeFileHandle? handle;
        try
        {
            handle = OpenForRead(path, async: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Reading the session record '{path}' failed: {e.Message}", e);
        }

        if (handle is null)
        {
            EnsureStorePresent();
            return default;
        }

        using (handle) return ReadImageLocked(handle, path);
    }

    /// <summary>The version a compare-and-set compares with: the live record's, or <see cref="SessionStorage.Absent"/>.</summary>
    private long VersionOf(RecordImage image) =>
        StateOf(image.Image, _time.GetUtcNow(), out long version) == HeaderState.Live ? version : Absent;

    /// <summary>
    /// The version of the live record at <paramref name="path"/>; <see cref="SessionStorage.Absent"/> when missing,
    /// garbage or expired.
    /// </summary>
    private long CurrentVersion(string path) => VersionOf(ReadImageAt(path));

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
                now = Sync.Result(ReadAllBytes(path, locked: true, async: false, CancellationToken.None));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return; // the read that found it bad succeeded; leave the clean-up to a later read or the sweep
            }

            if (now is not null && now.AsSpan().SequenceEqual(seen)) DeleteRecordFile(key, path);
        }
        finally
        {
            _gates[stripe].Release();
        }
    }
}
