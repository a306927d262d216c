using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Threading;

namespace SessionConnector.Caching;

/// <summary>
/// A bounded cache with lock-free reads, lock-free replacement of a cached key's value, and SIEVE eviction
/// (Zhang et al., NSDI '24).
/// </summary>
/// <remarks>
/// Reads are a dictionary lookup plus setting a "visited" bit on the entry, so a hit costs about what a
/// <see cref="ConcurrentDictionary{TKey,TValue}"/> lookup costs and never allocates or locks. The FIFO list holds one
/// <see cref="SieveSlot{TKey}"/> per key, not per value: replacing the value of a key already cached (most writes of a
/// session store update an existing session) is a compare-and-swap in the dictionary and takes no lock, because the new
/// value simply takes over its predecessor's slot. Adding a key, evicting, removing and clearing take one lock that guards
/// the list and the eviction hand; only they change the count, so the bound holds whatever replacements race with them.
/// SIEVE keeps new keys at the head and lets a hand sweep from the tail, evicting the first key whose value was not visited
/// since the hand last passed: one-hit wonders leave quickly while popular entries stay without being moved, which beats
/// LRU on skewed (Zipf) traffic. With link callbacks (an index kept beside the cache), replacements take the lock too, so
/// the callbacks keep running under it as documented.
/// </remarks>
internal sealed class ConcurrentSieveCache<TKey, TValue> where TKey : notnull where TValue : SieveEntry<TKey>
{
    private readonly ConcurrentDictionary<TKey, TValue> _map;
    private readonly object _sync = new();
    private readonly int _capacity;
    private readonly Action<TKey, TValue>? _onEvicted;
    private readonly Action<TValue>? _onLinked, _onUnlinked;
    private readonly bool _replacesWithoutLock;
    private SieveSlot<TKey>? _head, _tail, _hand;
    private int _count;

    /// <summary>The dictionary's initial size (its own default): it grows from there as entries arrive.</summary>
    private const int InitialBuckets = 31;

    /// <param name="capacity">The most entries held.</param>
    /// <param name="comparer">The key comparer.</param>
    /// <param name="onEvicted">Called after an entry was evicted to stay within capacity (outside the lock).</param>
    /// <param name="onLinked">Called under the write lock whenever an entry enters the cache (added or replacing another).</param>
    /// <param name="onUnlinked">
    /// Called under the write lock whenever an entry leaves it (removed, replaced, evicted, cleared), so an index kept beside
    /// the cache stays exactly in step with it. Keep both short and non-throwing. Either one makes replacements take the lock.
    /// </param>
    public ConcurrentSieveCache(int capacity, IEqualityComparer<TKey>? comparer = null, Action<TKey, TValue>? onEvicted = null,
        Action<TValue>? onLinked = null, Action<TValue>? onUnlinked = null)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Cache capacity must be at least 1.");
        _capacity = capacity;
        _onEvicted = onEvicted;
        _onLinked = onLinked;
        _onUnlinked = onUnlinked;
        _replacesWithoutLock = onLinked is null && onUnlinked is null;
        // Not pre-sized to the capacity: 5,121 buckets (40 KiB at the default 4,096) allocated and cleared up front were a
        // measurable part of a connector's set-up on the way to an app's first session (issue 27). The dictionary doubles
        // as the cache fills, a few times, and never shrinks, so a full cache still does not resize.
        _map = new ConcurrentDictionary<TKey, TValue>(Environment.ProcessorCount, Math.Min(capacity + capacity / 4 + 1, InitialBuckets), comparer);
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
        // CAS, not a check under the lock: the replacement below may never take the lock.
        if (Interlocked.Exchange(ref value.Claimed, 1) != 0) throw new InvalidOperationException("A cache entry can be stored once.");
        value.Key = key;
        if (_replacesWithoutLock)
        {
            // The key is cached: swap its value in the dictionary. The compare-and-swap against the value read makes the
            // veto and the slot hand-over exact; if it fails, another writer, a removal or an eviction came first: look again.
            while (_map.TryGetValue(key, out TValue? existing))
            {
                // Replaced (true) or vetoed (null): done; false: the key's value changed meanwhile.
                if (TryReplace(key, existing, value, shouldReplace) != false) return;
            }
        }

        SetLocked(key, value, shouldReplace);
    }

    /// <summary>
    /// Replaces <paramref name="existing"/> by <paramref name="value"/>: true when done, false when another writer swapped
    /// the key's value first (look again), null when <paramref name="shouldReplace"/> vetoed it.
    /// </summary>
    private bool? TryReplace(TKey key, TValue existing, TValue value, Func<TValue, TValue, bool>? shouldReplace)
    {
        if (shouldReplace is not null && !shouldReplace(existing, value)) return null;
        // The replacement takes the old entry's list slot and keeps its popularity. Both written before the dictionary
        // publishes the value (its update is a release), so a reader or the hand that finds the value finds them.
        value.Visited = existing.Visited;
        value.Slot = existing.Slot;
        if (_map.TryUpdate(key, value, existing)) return true;
        Internal.Contention.Count(ref Internal.Contention.SieveCacheReplaceRaces);
        return false;
    }

    private void SetLocked(TKey key, TValue value, Func<TValue, TValue, bool>? shouldReplace)
    {
        TValue? evicted = null;
        Enter();
        try
        {
            while (true)
            {
                if (_map.TryGetValue(key, out TValue? existing))
                {
                    bool? replaced = TryReplace(key, existing, value, shouldReplace);
                    if (replaced is null) return;
                    if (replaced == false) continue; // a lock-free replacement raced this one
                    _onUnlinked?.Invoke(existing);
                    _onLinked?.Invoke(value);
                    return;
                }

                // Only this path adds, and only under the lock: a key absent now stays absent until the add below.
                if (_count >= _capacity) evicted = EvictOne();
                // An evicted key's slot is reused: a replacement still holding the victim fails its compare-and-swap.
                SieveSlot<TKey> slot = evicted?.Slot ?? new SieveSlot<TKey>();
                slot.Key = key;
                value.Slot = slot;
                LinkAtHead(slot);
                _map[key] = value;
                _count++;
                _onLinked?.Invoke(value);
                break;
            }
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
            for (SieveSlot<TKey>? s = _head; s is not null;)
            {
                SieveSlot<TKey>? next = s.Next;
                s.Prev = s.Next = null;
                s.Linked = false;
                if (_onUnlinked is not null && _map.TryGetValue(s.Key, out TValue? value)) _onUnlinked(value);
                s = next;
            }

            _map.Clear();
            _head = _tail = _hand = null;
            _count = 0;
        }
    }

    private TValue? EvictOne()
    {
        SieveSlot<TKey>? hand = _hand ?? _tail;
        while (hand is not null)
        {
            // Every linked slot's key is in the dictionary (only the lock holder removes keys); its value may have been
            // replaced since the hand last passed, and the replacement carried the visited bit over.
            TValue current = _map[hand.Key];
            if (current.Visited != 0)
            {
                // Ends: a pass clears every bit; readers setting them again meanwhile only send the hand round once more.
                current.Visited = 0;
                hand = hand.Prev ?? _tail;
                continue;
            }

            // A lock-free replacement may swap the value between the read and here: then look at this slot again.
            if (!_map.TryRemove(new KeyValuePair<TKey, TValue>(hand.Key, current))) continue;
            // The hand continues from the victim's neighbour towards the head (null: wrap to the tail next time).
            _hand = hand.Prev;
            Unlink(current);
            return current;
        }

        return null;
    }

    private void LinkAtHead(SieveSlot<TKey> slot)
    {
        slot.Next = _head;
        slot.Prev = null;
        if (_head is not null) _head.Prev = slot;
        _head = slot;
        _tail ??= slot;
        slot.Linked = true;
    }

    /// <summary>Unlinks the slot of <paramref name="entry"/>, which the caller just removed from the dictionary.</summary>
    private void Unlink(TValue entry)
    {
        SieveSlot<TKey> slot = entry.Slot!;
        if (!slot.Linked) return;
        if (_hand == slot) _hand = slot.Prev;
        if (slot.Prev is not null) slot.Prev.Next = slot.Next; else _head = slot.Next;
        if (slot.Next is not null) slot.Next.Prev = slot.Prev; else _tail = slot.Prev;
        slot.Prev = slot.Next = null;
        slot.Linked = false;
        _count--;
        _onUnlinked?.Invoke(entry);
    }
}
