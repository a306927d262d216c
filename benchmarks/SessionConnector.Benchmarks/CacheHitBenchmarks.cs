using System;
using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Memory;
using SessionConnector.Caching;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Comparison 1: a cache hit on a string session ID, 4096 live entries, 1 and 2 threads. Each invocation does
/// <see cref="Batch"/> lookups per thread over a shuffled key order; the reported time is wall time per lookup
/// across all threads (so it is the inverse of aggregate throughput).
/// </summary>
[BenchmarkCategory(Categories.CacheHit)]
[Comparison("1. Cache hit (string session IDs, 4096 entries)",
    "Time is wall time per lookup per thread (16 384 lookups per thread per invocation, random order over the 4096 keys; with 2 threads both run concurrently on parked helper threads, so no allocation or thread start-up is measured); aggregate Mops/s = threads × 1000 / time in ns. Every contender reads a field of the value it returns.")]
public class CacheHitBenchmarks
{
    /// <summary>
    /// The cached value; every contender reads a field of what it returns, as a caller would. It derives from the
    /// SIEVE entry base because our cache is intrusive (the value is its own list node); the other caches ignore that.
    /// </summary>
    internal sealed class Value : SieveEntry<string>
    {
        public int Id;
    }

    private const int Capacity = 4096;
    private const int Batch = 16384;

    private string[] _order = [];
    private ConcurrentDictionary<string, Value> _dictionary = null!;
    private ConcurrentSieveCache<string, Value> _sieve = null!;
    private ConcurrentLru<string, Value> _lru = null!;
    private MemoryCache _memoryCache = null!;
    private ParallelRunner _dictionaryRunner = null!, _sieveRunner = null!, _lruRunner = null!, _memoryRunner = null!;
    private readonly long[] _hits = new long[16 * 8];

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string[] keys = Shared.SessionIds(Capacity);
        _dictionary = new ConcurrentDictionary<string, Value>(StringComparer.Ordinal);
        _sieve = new ConcurrentSieveCache<string, Value>(Capacity, StringComparer.Ordinal);
        _lru = new ConcurrentLru<string, Value>(Environment.ProcessorCount, Capacity, StringComparer.Ordinal);
        _memoryCache = new MemoryCache(new MemoryCacheOptions());
        foreach (string key in keys)
        {
            var value = new Value { Id = 1 };
            _dictionary[key] = value;
            _sieve.Set(key, value);
            _lru.AddOrUpdate(key, value);
            _memoryCache.Set(key, value);
        }

        _order = new string[Batch];
        var rng = new Random(7);
        for (int i = 0; i < Batch; i++) _order[i] = keys[rng.Next(keys.Length)];

        foreach (string key in keys)
        {
            if (!_sieve.TryGet(key, out _) || !_lru.TryGet(key, out _) || !_memoryCache.TryGetValue(key, out _))
            {
                throw new InvalidOperationException("A cache lost an entry while loading 4096 entries; the hit benchmark would measure misses.");
            }
        }

        _dictionaryRunner = new ParallelRunner(Threads, t => Record(t, RunDictionary(t)));
        _sieveRunner = new ParallelRunner(Threads, t => Record(t, RunSieve(t)));
        _lruRunner = new ParallelRunner(Threads, t => Record(t, RunLru(t)));
        _memoryRunner = new ParallelRunner(Threads, t => Record(t, RunMemoryCache(t)));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _dictionaryRunner.Dispose();
        _sieveRunner.Dispose();
        _lruRunner.Dispose();
        _memoryRunner.Dispose();
        _memoryCache.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public void ConcurrentDictionary() => Invoke(_dictionaryRunner);

    [Benchmark(OperationsPerInvoke = Batch)]
    [Target("≤ 1.3×")]
    [Target("≤ 1.0×", Versus = nameof(BitFasterConcurrentLru), Note = "throughput ≥ ConcurrentLru")]
    [Target("0 B")]
    public void SieveCache() => Invoke(_sieveRunner);

    [Benchmark(OperationsPerInvoke = Batch)]
    public void BitFasterConcurrentLru() => Invoke(_lruRunner);

    [Benchmark(OperationsPerInvoke = Batch)]
    public void MemoryCache() => Invoke(_memoryRunner);

    // OperationsPerInvoke is per-thread work; with 2 threads the wall time covers 2x the lookups, so each row is
    // wall time per lookup of one thread and aggregate throughput is Threads / time.
    private static void Invoke(ParallelRunner runner) => runner.Run();

    private void Record(int thread, int hits) => _hits[thread * 16] += hits;

    private int RunDictionary(int thread)
    {
        ConcurrentDictionary<string, Value> d = _dictionary;
        string[] order = _order;
        int hits = 0, start = thread * (Batch / 2);
        for (int i = 0; i < order.Length; i++)
        {
            if (d.TryGetValue(order[(start + i) & (Batch - 1)], out Value? v)) hits += v!.Id;
        }

        return hits;
    }

    private int RunSieve(int thread)
    {
        ConcurrentSieveCache<string, Value> c = _sieve;
        string[] order = _order;
        int hits = 0, start = thread * (Batch / 2);
        for (int i = 0; i < order.Length; i++)
        {
            if (c.TryGet(order[(start + i) & (Batch - 1)], out Value? v)) hits += v!.Id;
        }

        return hits;
    }

    private int RunLru(int thread)
    {
        ConcurrentLru<string, Value> c = _lru;
        string[] order = _order;
        int hits = 0, start = thread * (Batch / 2);
        for (int i = 0; i < order.Length; i++)
        {
            if (c.TryGet(order[(start + i) & (Batch - 1)], out Value? v)) hits += v!.Id;
        }

        return hits;
    }


    private int RunMemoryCache(int thread)
    {
        MemoryCache c = _memoryCache;
        string[] order = _order;
        int hits = 0, start = thread * (Batch / 2);
        for (int i = 0; i < order.Length; i++)
        {
            if (c.TryGetValue(order[(start + i) & (Batch - 1)], out Value? v)) hits += v!.Id;
        }

        return hits;
    }
}
