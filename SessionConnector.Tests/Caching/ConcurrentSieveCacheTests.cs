using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector.Caching;
using Xunit;

namespace SessionConnector.Tests.Caching;

public sealed class ConcurrentSieveCacheTests
{
    private sealed class Entry<TKey>(string text) : SieveEntry<TKey>
    {
        public string Text { get; } = text;
    }

    private static Entry<int> E(string text) => new(text);

    private static Entry<string> S(string text) => new(text);

    [Fact]
    public void NeverHoldsMoreThanItsCapacity()
    {
        var evicted = new List<int>();
        var cache = new ConcurrentSieveCache<int, Entry<int>>(10, onEvicted: (k, _) => evicted.Add(k));
        for (int i = 0; i < 100; i++) cache.Set(i, E(i.ToString()));
        Assert.Equal(10, cache.Count);
        Assert.Equal(90, evicted.Count);
    }

    [Fact]
    public void VisitedEntriesSurviveAScanOfOneHitWonders()
    {
        var cache = new ConcurrentSieveCache<int, Entry<int>>(10);
        for (int i = 0; i < 5; i++) cache.Set(i, E("hot"));
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 5; i++) Assert.True(cache.TryGet(i, out _), $"hot key {i} evicted in round {round}");
            for (int j = 0; j < 3; j++) cache.Set(1000 + round * 3 + j, E("cold")); // a scan of keys seen once
        }
    }

    [Fact]
    public void SetReplacesOnlyWhenAllowedAndKeepsTheBound()
    {
        var cache = new ConcurrentSieveCache<string, Entry<string>>(4);
        Func<Entry<string>, Entry<string>, bool> newer = (existing, candidate) => string.CompareOrdinal(candidate.Text, existing.Text) > 0;
        cache.Set("a", S("v2"));
        cache.Set("a", S("v1"), newer);
        Assert.True(cache.TryGet("a", out Entry<string>? v));
        Assert.Equal("v2", v.Text);
        cache.Set("a", S("v3"), newer);
        Assert.True(cache.TryGet("a", out v));
        Assert.Equal("v3", v.Text);
        Assert.Equal(1, cache.Count);
        for (int i = 0; i < 10; i++) cache.Set("k" + i, S("x"));
        Assert.Equal(4, cache.Count);
    }

    [Fact]
    public void AnEntryCanBeStoredOnlyOnce()
    {
        var cache = new ConcurrentSieveCache<string, Entry<string>>(4);
        Entry<string> e = S("x");
        cache.Set("a", e);
        Assert.Throws<InvalidOperationException>(() => cache.Set("b", e));
    }

    [Fact]
    public void RemoveByValueOnlyRemovesThatValue()
    {
        var cache = new ConcurrentSieveCache<string, Entry<string>>(4);
        Entry<string> one = S("one");
        cache.Set("a", one);
        Assert.False(cache.Remove("a", S("other")));
        Assert.True(cache.Remove("a", one));
        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void ConcurrentReadersAndWritersKeepTheBoundAndNeverSeeAForeignValue()
    {
        var cache = new ConcurrentSieveCache<int, Entry<int>>(64);
        Parallel.For(0, 4, t =>
        {
            var rng = new Random(t);
            for (int i = 0; i < 50_000; i++)
            {
                int k = rng.Next(256);
                if (rng.Next(4) == 0) cache.Set(k, E("v" + k));
                else if (cache.TryGet(k, out Entry<int>? v)) Assert.Equal("v" + k, v.Text);
                if (i % 1000 == 0) cache.Remove(rng.Next(256));
            }
        });
        Assert.InRange(cache.Count, 0, 64);
        int present = Enumerable.Range(0, 256).Count(k => cache.TryGet(k, out _));
        Assert.Equal(cache.Count, present);
    }

    [Fact]
    public void AReplacedKeyKeepsItsPlaceAndItsVisitedMark()
    {
        var cache = new ConcurrentSieveCache<int, Entry<int>>(4);
        for (int i = 0; i < 4; i++) cache.Set(i, E("v" + i));
        Assert.True(cache.TryGet(0, out _)); // visited
        cache.Set(0, E("v0 again")); // replaced without the lock: same slot, mark carried over
        cache.Set(100, E("cold")); // evicts: the hand skips 0 (visited) and takes 1
        Assert.True(cache.TryGet(0, out Entry<int>? zero));
        Assert.Equal("v0 again", zero.Text);
        Assert.False(cache.TryGet(1, out _));
        Assert.Equal(4, cache.Count);
    }

    [Fact]
    public void ReplacementsRacingEvictionsAndRemovalsKeepTheBoundAndNeverAnswerForAnotherKey()
    {
        const int Capacity = 32, Keys = 96;
        var cache = new ConcurrentSieveCache<int, Entry<int>>(Capacity);
        Parallel.For(0, 6, t =>
        {
            var rng = new Random(100 + t);
            for (int i = 0; i < 40_000; i++)
            {
                int k = rng.Next(Keys);
                switch (rng.Next(8))
                {
                    case 0 or 1 or 2:
                        // Mostly replacements of cached keys (lock-free) racing the adds below (which evict).
                        cache.Set(k, E(k + ":" + i), (old, candidate) => rng.Next(8) != 0);
                        break;
                    case 3:
                        cache.Set(Keys + rng.Next(1000), E("cold"));
                        break;
                    case 4:
                        if (rng.Next(16) == 0) cache.Remove(k);
                        break;
                    default:
                        if (cache.TryGet(k, out Entry<int>? v))
                        {
                            Assert.Equal(k, v.Key);
                            Assert.StartsWith(k + ":", v.Text);
                        }

                        break;
                }

                Assert.InRange(cache.Count, 0, Capacity);
            }
        });
        Assert.InRange(cache.Count, 0, Capacity);
        int present = Enumerable.Range(0, Keys + 1000).Count(k => cache.TryGet(k, out _));
        Assert.Equal(cache.Count, present);
        // The list is intact: new keys fill it to the bound, one eviction per add once full, and the count stays exact.
        for (int k = 1; k <= Capacity * 3; k++) cache.Set(-k, E(-k + ":"));
        Assert.Equal(Capacity, cache.Count);
        Assert.Equal(Capacity, Enumerable.Range(-Capacity * 3, Capacity * 3 + Keys + 1000).Count(k => cache.TryGet(k, out _)));
    }

    [Fact]
    public void ClearEmptiesTheCache()
    {
        var cache = new ConcurrentSieveCache<int, Entry<int>>(4);
        cache.Set(1, E("a"));
        cache.Clear();
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet(1, out _));
        cache.Set(2, E("b"));
        Assert.True(cache.TryGet(2, out _));
    }
}
