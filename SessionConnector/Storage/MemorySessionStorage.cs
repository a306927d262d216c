using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;

namespace SessionConnector.Storage;

/// <summary>
/// Keeps records in this process: bounded (past <see cref="MaxRecords"/>, records not read or written since the eviction
/// hand last passed them go first), per-record expiry, thread-safe without a global lock. Records are still encrypted
/// envelopes. Sessions do not survive a restart; use it for tests, single-process game servers or as a template.
/// </summary>
/// <remarks>
/// Reads take no lock and write nothing shared (a record's "used" bit is written only when it is clear): they read the
/// slot's fields under a sequence number and retry if a writer changed them meanwhile. A write is a compare-and-set under
/// its key's slot lock alone, in place, so a Set allocates nothing beyond the stored array. Eviction is second chance (CLOCK): a hand walks the records in insertion
/// order, clears the "used" bit of a record that has it, and evicts the first that has not; only the hand takes a lock,
/// and only while the store is over its bound. A writer that finds the hand busy leaves the eviction to it, so the store
/// may hold a record or two past its bound (at most one per writer adding at that moment) until the next add.
/// </remarks>
public sealed class MemorySessionStorage : SessionStorage, IInProcessStorage
{
    /// <summary>One record as read: consistent, whatever writers did meanwhile.</summary>
    private readonly record struct Snapshot(byte[] Value, long Version, DateTimeOffset? ExpiresAt);

    /// <summary>
    /// A key's place in the store, stable while the key is present. Its record fields change in place under the slot's own
    /// lock (a thin monitor: no allocation uncontended), bracketed by <see cref="Sequence"/> for the lock-free readers.
    /// </summary>
    private sealed class Slot(string key, byte[] value, long version, DateTimeOffset? expiresAt)
    {
        public readonly string Key = key;
        // Odd while a writer changes the fields below; a reader that sees the same even value before and after read them whole.
        public int Sequence;
        public byte[] Value = value;
        public long Version = version;
        public DateTimeOffset? ExpiresAt = expiresAt;
        // Set once, under the lock: the key left the store, and a writer that still finds this slot adds the key afresh.
        public bool Removed;
        // The eviction hand's second chance: set by a read or write (only when clear, so a hot slot's line stays shared).
        public int Used;

        /// <summary>The record, or false once the slot is removed. Lock-free: retries while a writer is mid-change.</summary>
        public bool TryRead(out Snapshot record)
        {
            var spin = new SpinWait();
            while (true)
            {
                int before = Volatile.Read(ref Sequence);
                if ((before & 1) == 0)
                {
                    record = new Snapshot(Value, Version, ExpiresAt);
                    bool removed = Removed;
                    // A full fence: the field reads above complete before the sequence is read again (ARM reorders loads).
                    Interlocked.MemoryBarrier();
                    if (Volatile.Read(ref Sequence) == before) return !removed;
                }

                spin.SpinOnce();
            }
        }

        /// <summary>Changes the fields; call holding the slot's lock.</summary>
        public void Write(byte[] value, long version, DateTimeOffset? expiresAt, bool removed = false)
        {
            // Interlocked both times: a full fence keeps the field writes between the two increments on every CPU.
            Interlocked.Increment(ref Sequence);
            Value = value;
            Version = version;
            ExpiresAt = expiresAt;
            Removed = removed;
            Interlocked.Increment(ref Sequence);
        }
    }

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    // Slots in insertion order for the hand; removed slots stay until the hand passes them.
    private readonly ConcurrentQueue<Slot> _order = new();
    // Only the hand (eviction and the queue's clean-up) takes this lock.
    private readonly object _hand = new();
    private readonly TimeProvider _time;
    private int _count;
    private int _queued;

    /// <summary>Creates the storage.</summary>
    /// <param name="maxRecords">The most records kept; past it, records not used recently are evicted.</param>
    /// <param name="timeProvider">The clock for expiry; defaults to the system clock.</param>
    public MemorySessionStorage(int maxRecords = 100_000, TimeProvider? timeProvider = null)
    {
        if (maxRecords < 1) throw new ArgumentOutOfRangeException(nameof(maxRecords), maxRecords, "maxRecords must be at least 1.");
        MaxRecords = maxRecords;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The most records kept.</summary>
    public int MaxRecords { get; }

    /// <summary>The number of records held, including expired ones not yet purged.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Entries in the eviction queue, removed ones not yet passed by the hand included (tests: it stays bounded).</summary>
    internal int QueuedSlots => Volatile.Read(ref _queued);

    /// <inheritdoc />
    public override string Kind => "memory";

    /// <inheritdoc />
    public override bool IsInMemory => true;

    /// <summary>The clock expiry is judged by. A caller that reads this same clock anyway may hand its reading in.</summary>
    internal TimeProvider Time => _time;

    TimeProvider IInProcessStorage.Time => _time;

    long IInProcessStorage.ReadVersion(string key, DateTimeOffset? now) => ReadVersion(key, now);

    bool IInProcessStorage.TryWriteOwned(string key, byte[] value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, DateTimeOffset? now) =>
        TryWriteOwned(key, value, expiresAt, expectedVersion, newVersion, now);

    /// <inheritdoc />
    public override StoredRecord? Read(string key) =>
        Live(key, now: null, out Snapshot r) ? new StoredRecord(r.Value, r.Version, r.ExpiresAt) : null;

    /// <inheritdoc cref="IInProcessStorage.ReadVersion"/>
    internal long ReadVersion(string key, DateTimeOffset? now) => Live(key, now, out Snapshot r) ? r.Version : Absent;

    /// <inheritdoc />
    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        ArgumentNullException.ThrowIfNull(key);
        // The caller keeps its buffer and may reuse it: store a copy of our own.
        return TryWriteOwned(key, value.ToArray(), expiresAt, expectedVersion, newVersion);
    }

    /// <inheritdoc cref="IInProcessStorage.TryWriteOwned"/>
    internal bool TryWriteOwned(string key, byte[] value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, DateTimeOffset? now = null)
    {
        while (true)
        {
            if (!_slots.TryGetValue(key, out Slot? slot))
            {
                if (expectedVersion != AnyVersion && expectedVersion != Absent) return false;
                slot = new Slot(key, value, newVersion, expiresAt);
                if (!_slots.TryAdd(key, slot))
                {
                    Contention.Count(ref Contention.MemoryStoreRetries); // another writer added the key first
                    continue;
                }

                Interlocked.Increment(ref _count);
                _order.Enqueue(slot);
                int queued = Interlocked.Increment(ref _queued);
                // Deleted slots wait in the queue for the hand: walk it when it has grown well past the live count too.
                if (Volatile.Read(ref _count) > MaxRecords || queued > 2 * MaxRecords) RunHand();
                return true;
            }

            Enter(slot);
            try
            {
                if (!slot.Removed)
                {
                    // The compare-and-set, under this key's lock only.
                    long current = slot.ExpiresAt is { } at && at <= (now ?? _time.GetUtcNow()) ? Absent : slot.Version;
                    if (expectedVersion != AnyVersion && expectedVersion != current) return false;
                    slot.Write(value, newVersion, expiresAt);
                    MarkUsed(slot);
                    return true;
                }
            }
            finally
            {
                Monitor.Exit(slot);
            }

            // Removed but maybe still in the dictionary: finish its removal, then add the key afresh.
            Unlink(slot);
        }
    }

    /// <inheritdoc />
    public override bool Delete(string key)
    {
        if (!_slots.TryGetValue(key, out Slot? slot)) return false;
        // A removed slot found here was deleted by someone else: the key is absent either way.
        return TryRemove(slot, AnyVersion, out Snapshot removed) && !IsExpired(removed.ExpiresAt, now: null);
    }

    /// <inheritdoc />
    public override bool TryDelete(string key, long expectedVersion) =>
        // Expired or not: a record at the expected version is the one the caller refused.
        _slots.TryGetValue(key, out Slot? slot) && TryRemove(slot, expectedVersion, out _);

    /// <inheritdoc />
    public override void Clear()
    {
        foreach (KeyValuePair<string, Slot> pair in _slots) TryRemove(pair.Value, AnyVersion, out _);
    }

    /// <inheritdoc />
    public override int PurgeExpired()
    {
        int removed = 0;
        DateTimeOffset now = _time.GetUtcNow();
        foreach (KeyValuePair<string, Slot> pair in _slots)
        {
            // Only the expired record seen here: a write that replaced it meanwhile wins.
            if (pair.Value.TryRead(out Snapshot r) && IsExpired(r.ExpiresAt, now) && TryRemove(pair.Value, r.Version, out _)) removed++;
        }

        return removed;
    }

    /// <inheritdoc />
    /// <remarks>Walks a snapshot of the records, yielding the thread after every batch.</remarks>
    public override async IAsyncEnumerable<KeyValuePair<string, StoredRecord>> EnumerateAsync(int batchSize = 256, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ValidateBatchSize(batchSize);
        var snapshot = new List<KeyValuePair<string, StoredRecord>>();
        foreach (KeyValuePair<string, Slot> pair in _slots)
        {
            if (pair.Value.TryRead(out Snapshot r)) snapshot.Add(new(pair.Key, new StoredRecord(r.Value, r.Version, r.ExpiresAt)));
        }

        for (int i = 0; i < snapshot.Count; i++)
        {
            // A large store must not hold one thread for the whole walk.
            if (i > 0 && i % batchSize == 0) await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return snapshot[i];
        }
    }

    /// <summary>The live record of <paramref name="key"/>; an expired one is removed on the way (unless a writer replaced it).</summary>
    private bool Live(string key, DateTimeOffset? now, out Snapshot record)
    {
        if (!_slots.TryGetValue(key, out Slot? slot) || !slot.TryRead(out record))
        {
            record = default;
            return false;
        }

        if (IsExpired(record.ExpiresAt, now))
        {
            TryRemove(slot, record.Version, out _);
            return false;
        }

        MarkUsed(slot);
        return true;
    }

    // Written only when clear: a hot record's line is written once per pass of the hand, then only read by every core.
    private static void MarkUsed(Slot slot)
    {
        if (Volatile.Read(ref slot.Used) == 0) Volatile.Write(ref slot.Used, 1);
    }

    /// <summary>Takes a slot's lock, counting the times another writer of the same key held it (the contended path only).</summary>
    private static void Enter(Slot slot)
    {
        if (Monitor.TryEnter(slot)) return;
        Contention.Count(ref Contention.MemoryStoreRetries);
        Monitor.Enter(slot);
    }

    /// <summary>
    /// Removes the slot's record if it is still at <paramref name="version"/> (<see cref="SessionStorage.AnyVersion"/>: any);
    /// false when it was removed already or a writer changed it.
    /// </summary>
    private bool TryRemove(Slot slot, long version, out Snapshot removed)
    {
        Enter(slot);
        try
        {
            removed = new Snapshot(slot.Value, slot.Version, slot.ExpiresAt);
            if (slot.Removed || (version != AnyVersion && slot.Version != version)) return false;
            // Marked under the lock first: a writer either changed the record before (and the version check above failed) or
            // finds the slot removed and adds the key afresh.
            slot.Write([], Absent, null, removed: true);
        }
        finally
        {
            Monitor.Exit(slot);
        }

        Unlink(slot);
        return true;
    }

    /// <summary>Takes a removed slot out of the dictionary; whoever succeeds (the remover or a writer helping it) counts it.</summary>
    private void Unlink(Slot slot)
    {
        if (_slots.TryRemove(new KeyValuePair<string, Slot>(slot.Key, slot))) Interlocked.Decrement(ref _count);
    }

    private bool IsExpired(DateTimeOffset? expiresAt, DateTimeOffset? now) => expiresAt is { } at && at <= (now ?? _time.GetUtcNow());

    /// <summary>
    /// Evicts until the store is within its bound, and drops removed slots from the queue on the way. One hand at a time;
    /// a writer that finds the hand busy leaves the work to it.
    /// </summary>
    private void RunHand()
    {
        if (!Monitor.TryEnter(_hand))
        {
            Contention.Count(ref Contention.MemoryStoreHand);
            return;
        }

        try
        {
            int queuedAtStart = Volatile.Read(ref _queued);
            bool compact = queuedAtStart > 2 * MaxRecords;
            // Bounded: every slot is looked at most twice (once to clear its bit, once to evict it).
            for (int visited = 0, budget = 2 * queuedAtStart + 1; visited < budget; visited++)
            {
                bool over = Volatile.Read(ref _count) > MaxRecords;
                if (!over && !(compact && visited < queuedAtStart)) break;
                if (!_order.TryDequeue(out Slot? slot)) break;
                Interlocked.Decrement(ref _queued);
                if (!slot.TryRead(out _)) continue; // deleted earlier: only its queue entry was left
                if (over && Volatile.Read(ref slot.Used) == 0 && TryRemove(slot, AnyVersion, out _)) continue;
                // Used since the hand last passed (or live while compacting): a second chance at the back of the queue.
                if (over) Volatile.Write(ref slot.Used, 0);
                _order.Enqueue(slot);
                Interlocked.Increment(ref _queued);
            }
        }
        finally
        {
            Monitor.Exit(_hand);
        }
    }
}
