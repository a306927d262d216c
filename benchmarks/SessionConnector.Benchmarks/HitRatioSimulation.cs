using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
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

    public const string Title = "2. Hit ratio, Zipf(0.86) over a key universe 10× the capacity";

    /// <summary>The target of comparison 2, judged per capacity.</summary>
    private const string Target = "SieveCache hit ratio ≥ BitFaster ConcurrentLru";

    public static IEnumerable<(string Label, string Measured, bool Met)> Verdicts(IReadOnlyList<Row> rows)
    {
        foreach (IGrouping<int, Row> group in rows.GroupBy(r => r.Capacity))
        {
            Row ours = group.Single(r => r.Cache.StartsWith("SieveCache", StringComparison.Ordinal));
            Row lru = group.Single(r => r.Cache.StartsWith("BitFaster ConcurrentLru", StringComparison.Ordinal));
            yield return ($"{Target} (capacity {group.Key})", $"{ours.HitRatio:P2} vs {lru.HitRatio:P2}", ours.HitRatio >= lru.HitRatio);
        }
    }

    public static void WriteMarkdown(StringBuilder md, IReadOnlyList<Row> rows)
    {
        md.AppendLine("Computed, not timed: one deterministic single-threaded simulation; every cache sees the same stream and a miss inserts the key. Ratio is the hit ratio relative to BitFaster ConcurrentLru.");
        md.AppendLine();
        foreach (IGrouping<int, Row> group in rows.GroupBy(r => r.Capacity))
        {
            Row lru = group.Single(r => r.Cache.StartsWith("BitFaster ConcurrentLru", StringComparison.Ordinal));
            md.AppendLine($"**capacity {group.Key}, universe {group.First().Universe}, {group.First().Requests:N0} requests**");
            md.AppendLine();
            md.AppendLine("| Ratio vs ConcurrentLru | Cache | Hit ratio |");
            md.AppendLine("| ---: | --- | ---: |");
            foreach (Row r in group) md.AppendLine($"| {(r.HitRatio / lru.HitRatio).ToString("F3", CultureInfo.InvariantCulture)}× | {r.Cache} | {r.HitRatio:P2} |");
            md.AppendLine();
        }
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
