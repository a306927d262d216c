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
/// Reads are a dictionary lookup plus setting a "visited" bit, so a hit costs about what a
/// <see cref="ConcurrentDictionary{TKey,TValue}"/> lookup costs and never allocates or locks. Writes take
/// one lock that guards the FIFO list and the eviction hand. SIEVE keeps new entries at the head and lets a
/// hand sweep from the tail, evicting the first entry not visited since the hand last passed: one-hit wonders
/// leave quickly while popular entries stay without being moved, which beats LRU on skewed (Zipf) traffic.
/// </remarks>
internal sealed class ConcurrentSieveCache<TKey, TValue> where TKey : notnull where TValue : class
{
    private sealed class Node
    {
        public Node(TKey key, TValue value)
        {
            Key = key;
            Value = value;
        }

        public readonly TKey Key;

        // Volatile: a reader on another core must see a fully published value after an update.
        public volatile TValue Value;

        // Plain int, written racily by readers: losing a "visited" mark only makes eviction slightly less
        // precise, and skipping the write when already set keeps the cache line shared on hot entries.
        public int Visited;

        public Node? Prev, Next;
        public bool Linked;
    }

    private readonly ConcurrentDictionary<TKey, Node> _map;
    private readonly object _sync = new();
    private readonly int _capacity;
    private readonly Action<TKey, TValue>? _onEvicted;
    private Node? _head, _tail, _hand;
    private int _count;

    public ConcurrentSieveCache(int capacity, IEqualityComparer<TKey>? comparer = null, Action<TKey, TValue>? onEvicted = null)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Cache capacity must be at least 1.");
        _capacity = capacity;
        _onEvicted = onEvicted;
        // Pre-size past capacity so the dictionary never resizes while it is full.
        _map = new ConcurrentDictionary<TKey, Node>(Environment.ProcessorCount, capacity + capacity / 4 + 1, comparer);
    }

    public int Capacity => _capacity;

    public int Count => Volatile.Read(ref _count);

    public bool TryGet(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_map.TryGetValue(key, out Node? node))
        {
            if (node.Visited == 0) node.Visited = 1;
            value = node.Value;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>Adds or replaces the value; <paramref name="shouldReplace"/> (existing, candidate) can veto a replacement.</summary>
    public void Set(TKey key, TValue value, Func<TValue, TValue, bool>? shouldReplace = null)
    {
        TKey evictedKey = default!;
        TValue? evictedValue = null;
        lock (_sync)
        {
            if (_map.TryGetValue(key, out Node? existing))
            {
                if (shouldReplace is null || shouldReplace(existing.Value, value)) existing.Value = value;
                return;
            }

            if (_count >= _capacity && EvictOne(out Node? victim))
            {
                evictedKey = victim.Key;
                evictedValue = victim.Value;
            }

            var node = new Node(key, value);
            _map[key] = node;
            LinkAtHead(node);
            _count++;
        }

        // Callback outside the lock so it cannot deadlock or slow other writers.
        if (evictedValue is not null) _onEvicted?.Invoke(evictedKey, evictedValue);
    }

    public bool Remove(TKey key)
    {
        lock (_sync)
        {
            if (!_map.TryRemove(key, out Node? node)) return false;
            Unlink(node);
            return true;
        }
    }

    /// <summary>Removes the entry only if it still holds <paramref name="value"/> (by reference).</summary>
    public bool Remove(TKey key, TValue value)
    {
        lock (_sync)
        {
            if (!_map.TryGetValue(key, out Node? node) || !ReferenceEquals(node.Value, value)) return false;
            _map.TryRemove(key, out _);
            Unlink(node);
            return true;
        }
    }

    public void Clear()
    {
        lock (_sync)
        {
            _map.Clear();
            _head = _tail = _hand = null;
            _count = 0;
        }
    }

    private bool EvictOne([NotNullWhen(true)] out Node? victim)
    {
        Node? hand = _hand ?? _tail;
        // Bounded: after one full pass every visited bit is cleared, so the second pass must find a victim.
        while (hand is not null && hand.Visited != 0)
        {
            hand.Visited = 0;
            hand = hand.Prev ?? _tail;
        }

        victim = hand;
        if (victim is null) return false;
        // The hand continues from the victim's neighbour towards the head (null: wrap to the tail next time).
        _hand = victim.Prev;
        _map.TryRemove(new KeyValuePair<TKey, Node>(victim.Key, victim));
        Unlink(victim);
        return true;
    }

    private void LinkAtHead(Node node)
    {
        node.Next = _head;
        node.Prev = null;
        if (_head is not null) _head.Prev = node;
        _head = node;
        _tail ??= node;
        node.Linked = true;
    }

    private void Unlink(Node node)
    {
        if (!node.Linked) return;
        if (_hand == node) _hand = node.Prev;
        if (node.Prev is not null) node.Prev.Next = node.Next; else _head = node.Next;
        if (node.Next is not null) node.Next.Prev = node.Prev; else _tail = node.Prev;
        node.Prev = node.Next = null;
        node.Linked = false;
        _count--;
    }
}
