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

// Expiry: removing expired or garbage records, and the background sweep that does it a batch at a time.
public sealed partial class FileSessionStorage
{
    // Removes the record file if it is expired or garbage (checked under its stripe's locks). The background sweep
    // passes wait: false, so a stripe in use is skipped rather than waited for.
    private bool RemoveIfExpired(string file, DateTimeOffset now, bool wait)
    {
        string key = Path.GetFileNameWithoutExtension(file);
        if (!IsStorageKeyShape(key)) return false; // not a record this store wrote; leave it alone
        if (ClaimsUnexpired(file, now)) return false;
        int stripe = StripeOf(key);
        SemaphoreSlim gate = _gates[stripe];
        if (wait) gate.Wait();
        else if (!gate.Wait(0)) return false;
        try
        {
            using SafeFileHandle? osLock = wait ? Sync.Result(AcquireOsLock(stripe, async: false, CancellationToken.None)) : TryLockFile(LockPath(stripe));
            if (osLock is null) return false;
            HeaderState state = ReadState(file, now, out _);
            if (state is not (HeaderState.Expired or HeaderState.Garbage)) return false;
            DeleteRecordFile(key, file);
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The scan's first look, without locks: true when the file's live slot, by its header alone, holds a record that has
    /// not expired, so the scan can pass it by without taking the stripe's locks or reading the whole file (two slots, at
    /// least 8 KiB, checked only with their payloads). Most records a purge or sweep meets are live.
    /// </summary>
    /// <remarks>
    /// A pass-by is never wrong: removing is best effort, and a read checks a record in full and treats an expired one as
    /// absent. The headers are not checksummed here, so a slot torn by a crash can claim a later expiry than its valid
    /// twin; the record is then left until that expiry (the write that tore it would have set it), or until the next
    /// write repairs the slot. Anything else (an earlier build's file, a damaged header, a read error, an expired claim or
    /// none) goes to the locked check, which decides on the record itself.
    /// </remarks>
    private static bool ClaimsUnexpired(string file, DateTimeOffset now)
    {
        try
        {
            using SafeFileHandle? handle = OpenForRead(file, async: false);
            return handle is null || ClaimsUnexpired(handle, now); // gone already: nothing to remove
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the locked check reports or skips it as before
        }
    }

    /// <summary><see cref="ClaimsUnexpired(string, DateTimeOffset)"/> on an open record file (two small reads).</summary>
    private static bool ClaimsUnexpired(SafeFileHandle handle, DateTimeOffset now)
    {
        Span<byte> first = stackalloc byte[RecordSlots.FileHeaderSize + RecordSlots.SlotHeaderSize];
        if (RandomAccess.Read(handle, first, 0) != first.Length) return false;
        int slotSize = RecordSlots.ClaimedSlotSize(first);
        Span<byte> second = stackalloc byte[RecordSlots.SlotHeaderSize];
        if (slotSize == 0 || RandomAccess.Read(handle, second, slotSize) != second.Length) return false;
        // No expiry (0) is not a pass: a torn slot's claim then would keep a garbage file for good.
        return RecordSlots.TryReadLiveClaim(first[RecordSlots.FileHeaderSize..], second, out long expiryMs)
            && expiryMs > now.ToUnixTimeMilliseconds() && expiryMs <= MaxExpiryMs;
    }

    /// <summary>
    /// Arms the sweep's timer at the first keyed operation from one <see cref="FileSessionStorageOptions.SweepInterval"/>
    /// after the open on (its first tick at once, then one every interval); before that, and once armed, it costs one read.
    /// </summary>
    /// <remarks>
    /// Why not at the open: a process's first timer starts the runtime's timer thread, and <c>Thread.Start</c> waits until
    /// that thread runs, on the path from the app's start to its first session (issue 27: the store open's largest step
    /// after the folder checks). Nothing is due before an interval, and only operations add records for it to find, so a
    /// store used past its first interval is swept as before; one that is not (a short-lived tool, a test) never starts it.
    /// </remarks>
    private void ArmSweepIfDue()
    {
        long due = Volatile.Read(ref _sweepDueTicks);
        if (due == long.MaxValue || _time.GetUtcNow().UtcTicks < due) return;
        // One caller arms it; Dispose takes the same field, so a disposed store is never armed afterwards.
        if (Interlocked.CompareExchange(ref _sweepDueTicks, long.MaxValue, due) != due) return;
        // A weak reference: the timer must not keep an abandoned store alive.
        ITimer timer = _time.CreateTimer(static state =>
        {
            if (((WeakReference<FileSessionStorage>)state!).TryGetTarget(out FileSessionStorage? store)) store.SweepOnce();
        }, new WeakReference<FileSessionStorage>(this), TimeSpan.Zero, _sweepInterval);
        // A full fence before reading _disposed (Dispose writes it, then fences, then takes the timer): one of the two
        // disposes it when they race.
        Interlocked.Exchange(ref _sweepTimer, timer);
        if (_disposed) Interlocked.Exchange(ref _sweepTimer, null)?.Dispose();
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
}
