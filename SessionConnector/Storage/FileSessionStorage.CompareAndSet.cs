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

            if (now is not null && now.AsSpan().SequenceEqual(seen)) DeleteRecordFile(key, path);
        }
        finally
        {
            _gates[stripe].Release();
        }
    }
}
