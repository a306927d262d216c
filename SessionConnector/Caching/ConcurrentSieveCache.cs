using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Threading;

namespace SessionConnector.Caching;

/// <summary>
/// A bounded cache with lock-free reads and SIEVE eviction (Zhang et al., NSDI '24).
/// </summary>
/// <remarks>
/// Reads are a dictionary lookup plus setting a "visited" bit on the entry, so a hit costs about what a
/// <see cref="ConcurrentDictionary{TKey,TValue}"/> lookup costs and never allocates or locks. Writes take one lock that
/// guards the FIFO list and the eviction hand. SIEVE keeps new entries at the head and lets a hand sweep from the
/// tail, evicting the first entry not visited since the hand last passed: one-hit wonders leave quickly while popular
/// entries stay without being moved, which beats LRU on skewed (Zipf) traffic.
/// </remarks>
internal sealed class ConcurrentSieveCache<TKey, TValue> where TKey : notnull where TValue : SieveEntry<TKey>
{
    private readonly ConcurrentDictionary<TKey, TValue> _map;
    private readonly object _sync = new();
    private readonly int _capacity;
    private readonly Action<TKey, TValue>? _onEvicted;
    private readonly Action<TValue>? _onLinked, _onUnlinked;
    private SieveEntry<TKey>? _head, _tail, _hand;
    private int _count;

    /// <param name="capacity">The most entries held.</param>
    /// <param name="comparer">The key comparer.</param>
    /// <param name="onEvicted">Called after an entry was evicted to stay within capacity (outside the lock).</param>
    /// <param name="onLinked">Called under the write lock whenever an entry enters the cache (added or replacing another).</param>
    /// <param name="onUnlinked">
    /// Called under the write lock whenever an entry leaves it (removed, replaced, evicted, cleared), so an index kept beside
    /// the cache stays exactly in step with it. Keep both short and non-throwing.
    /// </param>
    public ConcurrentSieveCache(int capacity, IEqualityComparer<TKey>? comparer = null, Action<TKey, TValue>? onEvicted = null,
        Action<TValue>? onLinked = null, Action<TValue>? onUnlinked = null)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Cache capacity must be at least 1.");
        _capacity = capacity;
        _onEvicted = onEvicted;
        _onLinked = onLinked;
        _onUnlinked = onUnlinked;
        // Pre-size past capacity so the dictionary never resizes while it is full.
        _map = new ConcurrentDictionary<TKey, TValue>(Environment.ProcessorCount, capacity + capacity / 4 + 1, comparer);
    }

    public int Capacity => _capacity;

    public int Count => Volatile.Read(ref _count);

    public bool TryGet(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_map.TryGetValue(key, out value))
        {
            if (value.Visited == 0) value.Visited = 1;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Adds <paramref name="value"/> or replaces the current entry with it; <paramref name="shouldReplace"/>
    /// (existing, candidate) can veto a replacement. <paramref name="value"/> must not be in any cache already.
    /// </summary>
    public void Set(TKey key, TValue value, Func<TValue, TValue, bool>? shouldReplace = null)
    {
        TValue? evicted = null;
        Enter();
        try
        {
            if (value.Linked) throw new InvalidOperationException("A cache entry can be stored once.");
            value.Key = key;
            if (_map.TryGetValue(key, out TValue? existing))
            {
                if (shouldReplace is null || shouldReplace(existing, value))
                {
                    // The replacement takes the old entry's place in the list and keeps its popularity.
                    value.Visited = existing.Visited;
                    Replace(existing, value);
                    _map[key] = value;
                }

                return;
            }

            if (_count >= _capacity) evicted = EvictOne();
            _map[key] = value;
            LinkAtHead(value);
            _count++;
        }
        finally
        {
            Monitor.Exit(_sync);
        }

        // Callback outside the lock so it cannot deadlock or slow other writers.
        if (evicted is not null) _onEvicted?.Invoke(evicted.Key, evicted);
    }

    /// <summary>Takes the write lock, counting the times another writer held it (the contended path only).</summary>
    private void Enter()
    {
        if (Monitor.TryEnter(_sync)) return;
        Internal.Contention.Count(ref Internal.Contention.SieveCacheLock);
        Monitor.Enter(_sync);
    }

    public bool Remove(TKey key)
    {
        lock (_sync)
        {
            if (!_map.TryRemove(key, out TValue? value)) return false;
            Unlink(value);
            return true;
        }
    }

    /// <summary>Removes the entry only if it is still <paramref name="value"/> (by reference).</summary>
    public bool Remove(TKey key, TValue value)
    {
        lock (_sync)
        {
            if (!_map.TryRemove(new KeyValuePair<TKey, TValue>(key, value))) return false;
            Unlink(value);
            return true;
        }
    }

    public void Clear()
    {
        lock (_sync)
        {
            for (SieveEntry<TKey>? e = _head; e is not null;)
            {
                SieveEntry<TKey>? next = e.Next;
                e.Prev = e.Next = null;
                e.Linked = false;
                _onUnlinked?.Invoke((TValue)e);
                e = next;
            }

            _map.Clear();
            _head = _tail = _hand = null;
            _count = 0;
        }
    }

    private TValue? EvictOne()
    {
        SieveEntry<TKey>? hand = _hand ?? _tail;
        // Bounded: after one full pass every visited bit is cleared, so the second pass must find a victim.
        while (hand is not null && hand.Visited != 0)
        {
            hand.Visited = 0;
            hand = hand.Prev ?? _tail;
        }

        if (hand is null) return null;
        var victim = (TValue)hand;
        // The hand continues from the victim's neighbour towards the head (null: wrap to the tail next time).
        _hand = victim.Prev;
        _map.TryRemove(new KeyValuePair<TKey, TValue>(victim.Key, victim));
        Unlink(victim);
        return victim;
    }

    private void LinkAtHead(SieveEntry<TKey> entry)
    {
        entry.Next = _head;
        entry.Prev = null;
        if (_head is not null) _head.Prev = entry;
        _head = entry;
        _tail ??= entry;
        entry.Linked = true;
        _onLinked?.Invoke((TValue)entry);
    }

    private void Replace(SieveEntry<TKey> old, SieveEntry<TKey> entry)
    {
        entry.Prev = old.Prev;
        entry.Next = old.Next;
        if (old.Prev is not null) old.Prev.Next = entry; else _head = entry;
        if (old.Next is not null) old.Next.Prev = entry; else _tail = entry;
        if (_hand == old) _hand = entry;
        old.Prev = old.Next = null;
        old.Linked = false;
        entry.Linked = true;
        _onUnlinked?.Invoke((TValue)old);
        _onLinked?.Invoke((TValue)entry);
    }

    private void Unlink(SieveEntry<TKey> entry)
    {
        if (!entry.Linked) return;
        if (_hand == entry) _hand = entry.Prev;
        if (entry.Prev is not null) entry.Prev.Next = entry.Next; else _head = entry.Next;
        if (entry.Next is not null) entry.Next.Prev = entry.Prev; else _tail = entry.Prev;
        entry.Prev = entry.Next = null;
        entry.Linked = false;
        _count--;
        _onUnlinked?.Invoke((TValue)entry);
    }
}
