using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.Storage;

/// <summary>
/// Keeps records in this process: bounded (least recently used records are evicted past
/// <see cref="MaxRecords"/>), per-record expiry, thread-safe. Records are still encrypted envelopes.
/// Sessions do not survive a restart; use it for tests, single-process game servers or as a template.
/// </summary>
public sealed class MemorySessionStorage : SessionStorage
{
    private sealed class Entry
    {
        public required string Key;
        public required byte[] Value;
        public long Version;
        public DateTimeOffset? ExpiresAt;
        public LinkedListNode<Entry>? Node;
    }

    // One lock: the compare-and-set must be atomic with the LRU bookkeeping, and the critical section is a few
    // pointer moves. The connector's cache is bypassed for this backend, so reads come here too.
    private readonly object _sync = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _lru = new();
    private readonly TimeProvider _time;

    /// <summary>Creates the storage.</summary>
    /// <param name="maxRecords">The most records kept; the least recently used are evicted beyond it.</param>
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
    public int Count
    {
        get { lock (_sync) return _entries.Count; }
    }

    /// <inheritdoc />
    public override string Kind => "memory";

    /// <inheritdoc />
    public override bool IsInMemory => true;

    /// <summary>The clock expiry is judged by. A caller that reads this same clock anyway may hand its reading in.</summary>
    internal TimeProvider Time => _time;

    /// <inheritdoc />
    public override StoredRecord? Read(string key)
    {
        lock (_sync)
        {
            Entry? e = Used(key, now: null);
            return e is null ? null : new StoredRecord(e.Value, e.Version, e.ExpiresAt);
        }
    }

    /// <summary>
    /// The version of the live record (<see cref="SessionStorage.Absent"/> when there is none), as <see cref="Read"/> would
    /// see it, judging expiry at <paramref name="now"/>: a reading of <see cref="Time"/> the caller already took (null:
    /// read the clock here).
    /// </summary>
    internal long ReadVersion(string key, DateTimeOffset? now)
    {
        lock (_sync) return Used(key, now)?.Version ?? Absent;
    }

    /// <inheritdoc />
    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        ArgumentNullException.ThrowIfNull(key);
        // The caller keeps its buffer and may reuse it: store a copy of our own.
        return TryWriteOwned(key, value.ToArray(), expiresAt, expectedVersion, newVersion);
    }

    /// <summary>
    /// <see cref="TryWrite"/> for a buffer the caller hands over and never touches again (the connector's fresh envelope):
    /// stored as is, without the copy a public caller's buffer needs. <paramref name="now"/> is as for
    /// <see cref="ReadVersion"/>.
    /// </summary>
    internal bool TryWriteOwned(string key, byte[] value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, DateTimeOffset? now = null)
    {
        lock (_sync)
        {
            Entry? e = Live(key, now);
            long current = e?.Version ?? Absent;
            if (expectedVersion != AnyVersion && expectedVersion != current) return false;
            if (e is null)
            {
                e = new Entry { Key = key, Value = value, Version = newVersion, ExpiresAt = expiresAt };
                e.Node = _lru.AddFirst(e);
                _entries[key] = e;
                while (_entries.Count > MaxRecords) Remove(_lru.Last!.Value);
            }
            else
            {
                e.Value = value;
                e.Version = newVersion;
                e.ExpiresAt = expiresAt;
                Touch(e);
            }

            return true;
        }
    }

    /// <inheritdoc />
    public override bool Delete(string key)
    {
        lock (_sync)
        {
            if (!_entries.TryGetValue(key, out Entry? e)) return false;
            bool live = !IsExpired(e);
            Remove(e);
            return live;
        }
    }

    /// <inheritdoc />
    public override bool TryDelete(string key, long expectedVersion)
    {
        lock (_sync)
        {
            // Expired or not: a record at the expected version is the one the caller refused.
            if (!_entries.TryGetValue(key, out Entry? e) || e.Version != expectedVersion) return false;
            Remove(e);
            return true;
        }
    }

    /// <inheritdoc />
    public override void Clear()
    {
        lock (_sync)
        {
            _entries.Clear();
            _lru.Clear();
        }
    }

    /// <inheritdoc />
    public override int PurgeExpired()
    {
        lock (_sync)
        {
            var expired = new List<Entry>();
            foreach (Entry e in _entries.Values)
            {
                if (IsExpired(e)) expired.Add(e);
            }

            foreach (Entry e in expired) Remove(e);
            return expired.Count;
        }
    }

    /// <inheritdoc />
    /// <remarks>Walks a snapshot taken under the lock in one step, yielding the thread after every batch.</remarks>
    public override async IAsyncEnumerable<KeyValuePair<string, StoredRecord>> EnumerateAsync(int batchSize = 256, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ValidateBatchSize(batchSize);
        var snapshot = new List<KeyValuePair<string, StoredRecord>>();
        lock (_sync)
        {
            foreach (Entry e in _entries.Values) snapshot.Add(new(e.Key, new StoredRecord(e.Value, e.Version, e.ExpiresAt)));
        }

        for (int i = 0; i < snapshot.Count; i++)
        {
            // A large store must not hold one thread for the whole walk.
            if (i > 0 && i % batchSize == 0) await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return snapshot[i];
        }
    }

    /// <summary>The live entry, marked most recently used; call under the lock.</summary>
    private Entry? Used(string key, DateTimeOffset? now)
    {
        Entry? e = Live(key, now);
        if (e is not null) Touch(e);
        return e;
    }

    private Entry? Live(string key, DateTimeOffset? now)
    {
        if (!_entries.TryGetValue(key, out Entry? e)) return null;
        if (!IsExpired(e, now)) return e;
        Remove(e);
        return null;
    }

    private bool IsExpired(Entry e, DateTimeOffset? now = null) => e.ExpiresAt is { } at && at <= (now ?? _time.GetUtcNow());

    private void Touch(Entry e)
    {
        if (e.Node is { } node && node != _lru.First)
        {
            _lru.Remove(node);
            _lru.AddFirst(node);
        }
    }

    private void Remove(Entry e)
    {
        _entries.Remove(e.Key);
        if (e.Node is not null) _lru.Remove(e.Node);
        e.Node = null;
    }
}
