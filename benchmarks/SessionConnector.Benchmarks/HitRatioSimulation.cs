using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using BitFaster.Caching.Scheduler;
using SessionConnector.Caching;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Comparison 2 (computed, not timed): hit ratio on one deterministic Zipf(0.86) stream whose key universe is 10x the
/// cache capacity. Every cache sees the same stream; a miss inserts the key. Single-threaded, so the result is exact
/// and repeatable.
/// </summary>
internal static class HitRatioSimulation
{
    public sealed record Row(string Cache, int Capacity, int Universe, double Skew, int Requests, long Hits)
    {
        public double HitRatio => (double)Hits / Requests;
    }

    public static List<Row> Run(bool quick)
    {
        const double skew = 0.86;
        var rows = new List<Row>();
        int[] capacities = quick ? [4096] : [512, 4096];
        foreach (int capacity in capacities)
        {
            int universe = capacity * 10;
            int requests = quick ? 1_000_000 : 4_000_000;
            int[] stream = Zipf.Stream(universe, skew, requests, seed: 86);
            rows.Add(new Row("SieveCache (ours)", capacity, universe, skew, requests, Sieve(stream, capacity)));
            rows.Add(new Row("LRU (Dictionary + LinkedList)", capacity, universe, skew, requests, PlainLru(stream, capacity)));
            rows.Add(new Row("BitFaster ConcurrentLru", capacity, universe, skew, requests, BitFasterLru(stream, capacity)));
            rows.Add(new Row("BitFaster ConcurrentLfu (W-TinyLFU, info)", capacity, universe, skew, requests, BitFasterLfu(stream, capacity)));
        }

        foreach (Row r in rows)
        {
            Console.WriteLine($"hit-ratio  {r.Cache,-42} capacity {r.Capacity,5}  universe {r.Universe,6}  {r.HitRatio:P2}");
        }

        return rows;
    }

    public static void Save(List<Row> rows, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(rows, Report.JsonOptions));
    }

    private static long Sieve(int[] stream, int capacity)
    {
        var cache = new ConcurrentSieveCache<int, SimEntry>(capacity);
        long hits = 0;
        foreach (int key in stream)
        {
            if (cache.TryGet(key, out _)) hits++;
            else cache.Set(key, new SimEntry());
        }

        return hits;
    }

    private sealed class SimEntry : SieveEntry<int>
    {
    }

    private static long PlainLru(int[] stream, int capacity)
    {
        var map = new Dictionary<int, LinkedListNode<int>>(capacity);
        var list = new LinkedList<int>();
        long hits = 0;
        foreach (int key in stream)
        {
            if (map.TryGetValue(key, out LinkedListNode<int>? node))
            {
                hits++;
                list.Remove(node);
                list.AddFirst(node);
                continue;
            }

            if (map.Count >= capacity)
            {
                map.Remove(list.Last!.Value);
                list.RemoveLast();
            }

            map[key] = list.AddFirst(key);
        }

        return hits;
    }

    private static long BitFasterLru(int[] stream, int capacity)
    {
        var cache = new ConcurrentLru<int, object>(1, capacity, EqualityComparer<int>.Default);
        object value = new();
        long hits = 0;
        foreach (int key in stream)
        {
            if (cache.TryGet(key, out _)) hits++;
            else cache.AddOrUpdate(key, value);
        }

        return hits;
    }

    private static long BitFasterLfu(int[] stream, int capacity)
    {
        var cache = new ConcurrentLfu<int, object>(1, capacity, new ForegroundScheduler(), EqualityComparer<int>.Default);
        object value = new();
        long hits = 0;
        foreach (int key in stream)
        {
            if (cache.TryGet(key, out _)) hits++;
            else cache.AddOrUpdate(key, value);
        }

        return hits;
    }
}
