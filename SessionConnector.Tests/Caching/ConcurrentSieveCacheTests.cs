using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector.Caching;
using Xunit;

namespace SessionConnector.Tests.Caching;

public sealed class ConcurrentSieveCacheTests
{
    [Fact]
    public void NeverHoldsMoreThanItsCapacity()
    {
        var evicted = new List<int>();
        var cache = new ConcurrentSieveCache<int, string>(10, onEvicted: (k, _) => evicted.Add(k));
        for (int i = 0; i < 100; i++) cache.Set(i, i.ToString());
        Assert.Equal(10, cache.Count);
        Assert.Equal(90, evicted.Count);
    }

    [Fact]
    public void VisitedEntriesSurviveAScanOfOneHitWonders()
    {
        var cache = new ConcurrentSieveCache<int, string>(10);
        for (int i = 0; i < 5; i++) cache.Set(i, "hot");
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 5; i++) Assert.True(cache.TryGet(i, out _), $"hot key {i} evicted in round {round}");
            for (int j = 0; j < 3; j++) cache.Set(1000 + round * 3 + j, "cold"); // a scan of keys seen once
        }
    }

    [Fact]
    public void SetReplacesOnlyWhenAllowed()
    {
        var cache = new ConcurrentSieveCache<string, string>(4);
        cache.Set("a", "v2");
        cache.Set("a", "v1", (existing, candidate) => string.CompareOrdinal(candidate, existing) > 0);
        Assert.True(cache.TryGet("a", out string? v));
        Assert.Equal("v2", v);
        cache.Set("a", "v3", (existing, candidate) => string.CompareOrdinal(candidate, existing) > 0);
        Assert.True(cache.TryGet("a", out v));
        Assert.Equal("v3", v);
    }

    [Fact]
    public void RemoveByValueOnlyRemovesThatValue()
    {
        var cache = new ConcurrentSieveCache<string, string>(4);
        cache.Set("a", "one");
        Assert.False(cache.Remove("a", "other"));
        Assert.True(cache.Remove("a", "one"));
        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void ConcurrentReadersAndWritersKeepTheBoundAndNeverSeeAForeignValue()
    {
        var cache = new ConcurrentSieveCache<int, string>(64);
        Parallel.For(0, 4, t =>
        {
            var rng = new Random(t);
            for (int i = 0; i < 50_000; i++)
            {
                int k = rng.Next(256);
                if (rng.Next(4) == 0) cache.Set(k, "v" + k);
                else if (cache.TryGet(k, out string? v)) Assert.Equal("v" + k, v);
                if (i % 1000 == 0) cache.Remove(rng.Next(256));
            }
        });
        Assert.InRange(cache.Count, 0, 64);
        int linked = Enumerable.Range(0, 256).Count(k => cache.TryGet(k, out _));
        Assert.Equal(cache.Count, linked);
    }

    [Fact]
    public void ClearEmptiesTheCache()
    {
        var cache = new ConcurrentSieveCache<int, string>(4);
        cache.Set(1, "a");
        cache.Clear();
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet(1, out _));
        cache.Set(2, "b");
        Assert.True(cache.TryGet(2, out _));
    }
}
