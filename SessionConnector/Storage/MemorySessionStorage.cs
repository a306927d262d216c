using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Diagnostics;

namespace SessionConnector.Storage;

/// <summary>
/// Keeps records in this process: bounded (past <see cref="MaxRecords"/>, records not read or written since the eviction
/// hand last passed them go first), per-record expiry, thread-safe without a global lock. Records are still encrypted
/// envelopes. Sessions do not survive a restart; use it for tests, single-process game servers or as a template.
/// </summary>
/// <remarks>
/// Reads take no lock and write nothing shared (a record's "used" bit is written only when it is clear); a write is a
/// compare-and-set on its key's slot alone. Eviction is second chance (CLOCK): a hand walks the records in insertion
/// order, clears the "used" bit of a record that has it, and evicts the first that has not; only the hand takes a lock,
/// and only while the store is over its bound.
/// </remarks>
public sealed class MemorySessionStorage : SessionStorage, IInProcessStorage
{
    /// <summary>One version of a record; immutable, replaced whole by a write.</summary>
    private sealed class Record(byte[] value, long version, DateTimeOffset? expiresAt)
    {
        public readonly byte[] Value = value;
        public readonly long Version = version;
        public readonly DateTimeOffset? ExpiresAt = expiresAt;
    }

    /// <summary>A key's place in the store, stable while the key is present; its record is swapped by compare-and-set.</summary>
    private sealed class Slot(string key, Record record)
    {
        public readonly string Key = key;
        public Record Current = record;
        // The eviction hand's second chance: set by a read or write (only when clear, so a hot slot's line stays shared).
        public int Used;
    }

    // What a slot holds once it is removed: a writer that finds it retries on the dictionary, where the key is gone or new.
    private static readonly Record Removed = new([], Absent, null);

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
    public override StoredRecord? Read(string key)
    {
        Record? r = Live(key, now: null, markUsed: true);
        return r is null ? null : new StoredRecord(r.Value, r.Version, r.ExpiresAt);
    }

    /// <inheritdoc cref="IInProcessStorage.ReadVersion"/>
    internal long ReadVersion(string key, DateTimeOffset? now) => Live(key, now, markUsed: true)?.Version ?? Absent;

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
        var record = new Record(value, newVersion, expiresAt);
        while (true)
        {
            if (!_slots.TryGetValue(key, out Slot? slot))
            {
                if (expectedVersion != AnyVersion && expectedVersion != Absent) return false;
                slot = new Slot(key, record);
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

            Record current = Volatile.Read(ref slot.Current);
            if (current == Removed)
            {
                // Removed but maybe still in the dictionary: finish its removal, then add the key afresh.
                Unlink(slot);
                continue;
            }

            long version = IsExpired(current, now) ? Absent : current.Version;
            if (expectedVersion != AnyVersion && expectedVersion != version) return false;
            // The compare-and-set itself: only a writer of the same key can make this fail, and then it compares again.
            if (Interlocked.CompareExchange(ref slot.Current, record, current) == current)
            {
                MarkUsed(slot);
                return true;
            }

            Contention.Count(ref Contention.MemoryStoreRetries);
        }
    }

    /// <inheritdoc />
    public override bool Delete(string key)
    {
        while (_slots.TryGetValue(key, out Slot? slot))
        {
            Record current = Volatile.Read(ref slot.Current);
            if (current == Removed)
            {
                Unlink(slot);
                continue;
            }

            if (TryRemove(slot, current)) return !IsExpired(current, now: null);
            Contention.Count(ref Contention.MemoryStoreRetries);
        }

        return false;
    }

    /// <inheritdoc />
    public override bool TryDelete(string key, long expectedVersion)
    {
        while (_slots.TryGetValue(key, out Slot? slot))
        {
            Record current = Volatile.Read(ref slot.Current);
            if (current == Removed)
            {
                Unlink(slot);
                continue;
            }

            // Expired or not: a record at the expected version is the one the caller refused.
            if (current.Version != expectedVersion) return false;
            if (TryRemove(slot, current)) return true;
            Contention.Count(ref Contention.MemoryStoreRetries);
        }

        return false;
    }

    /// <inheritdoc />
    public override void Clear()
    {
        foreach (KeyValuePair<string, Slot> pair in _slots)
        {
            Record current;
            while ((current = Volatile.Read(ref pair.Value.Current)) != Removed && !TryRemove(pair.Value, current))
            {
            }
        }
    }

    /// <inheritdoc />
    public override int PurgeExpired()
    {
        int removed = 0;
        DateTimeOffset now = _time.GetUtcNow();
        foreach (KeyValuePair<string, Slot> pair in _slots)
        {
            Record current = Volatile.Read(ref pair.Value.Current);
            // Only the expired record seen here: a write that replaced it meanwhile wins.
            if (current != Removed && IsExpired(current, now) && TryRemove(pair.Value, current)) removed++;
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
            Record r = Volatile.Read(ref pair.Value.Current);
            if (r != Removed) snapshot.Add(new(pair.Key, new StoredRecord(r.Value, r.Version, r.ExpiresAt)));
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
    private Record? Live(string key, DateTimeOffset? now, bool markUsed)
    {
        if (!_slots.TryGetValue(key, out Slot? slot)) return null;
        Record current = Volatile.Read(ref slot.Current);
        if (current == Removed) return null;
        if (IsExpired(current, now))
        {
            TryRemove(slot, current);
            return null;
        }

        if (markUsed) MarkUsed(slot);
        return current;
    }

    // Written only when clear: a hot record's line is written once per pass of the hand, then only read by every core.
    private static void MarkUsed(Slot slot)
    {
        if (Volatile.Read(ref slot.Used) == 0) Volatile.Write(ref slot.Used, 1);
    }

    /// <summary>Removes <paramref name="slot"/> if it still holds <paramref name="seen"/>; false when a writer got there first.</summary>
    private bool TryRemove(Slot slot, Record seen)
    {
        // Marking the slot first makes the removal a compare-and-set on the same field the writers swap: a write either
        // lands before (and this fails) or finds the slot removed and adds the key afresh.
        if (Interlocked.CompareExchange(ref slot.Current, Removed, seen) != seen) return false;
        Unlink(slot);
        return true;
    }

    /// <summary>Takes a removed slot out of the dictionary; whoever succeeds (the remover or a writer helping it) counts it.</summary>
    private void Unlink(Slot slot)
    {
        if (_slots.TryRemove(new KeyValuePair<string, Slot>(slot.Key, slot))) Interlocked.Decrement(ref _count);
    }

    private bool IsExpired(Record r, DateTimeOffset? now) => r.ExpiresAt is { } at && at <= (now ?? _time.GetUtcNow());

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
                Record current = Volatile.Read(ref slot.Current);
                if (current == Removed) continue; // deleted earlier: only its queue entry was left
                if (over && Volatile.Read(ref slot.Used) == 0 && TryRemove(slot, current)) continue;
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
