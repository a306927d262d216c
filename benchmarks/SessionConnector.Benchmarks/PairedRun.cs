using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Cross-check for a shared, noisy machine: each target's two contenders run in alternating batches (A B, B A, A B …),
/// so both see the same background load, and the ratio is the median of the per-round ratios. BenchmarkDotNet runs
/// contenders minutes apart, which on a busy box can move a ratio by 2× or more; this cannot.
/// </summary>
internal static class PairedRun
{
    public sealed record Row(string Type, string Reference, string Subject, int Rounds, int Batch, double ReferenceMedianNs, double SubjectMedianNs, double MedianRatio);

    public static List<Row> Run(bool quick, bool includeRedis)
    {
        int rounds = quick ? 41 : 101;
        // Batch sizes below are minimums; each pair grows its batch to about 5 ms.
        var rows = new List<Row>();

        var cache = new CacheHitBenchmarks { Threads = 1 };
        cache.Setup();
        rows.Add(Pair("CacheHitBenchmarks", "ConcurrentDictionary", cache.ConcurrentDictionary, "SieveCache", cache.SieveCache, 1, rounds, 16384));
        rows.Add(Pair("CacheHitBenchmarks", "BitFasterConcurrentLru", cache.BitFasterConcurrentLru, "SieveCache", cache.SieveCache, 1, rounds, 16384));
        cache.Cleanup();

        var connector = new ConnectorBenchmarks();
        connector.Setup();
        rows.Add(Pair("ConnectorBenchmarks", "AspNetDistributedSession_Get", () => connector.AspNetDistributedSession_Get().GetAwaiter().GetResult(), "Connector_Get_CacheHit", () => connector.Connector_Get_CacheHit(), 1, rounds));
        rows.Add(Pair("ConnectorBenchmarks", "AspNetDistributedSession_Set", () => connector.AspNetDistributedSession_Set().GetAwaiter().GetResult(), "Connector_Set_MemoryStorage", () => connector.Connector_Set_MemoryStorage(), 1, rounds));
        connector.Cleanup();

        var envelope = new EnvelopeBenchmarks();
        envelope.Setup();
        rows.Add(Pair("EnvelopeBenchmarks", "DataProtection", () => envelope.DataProtection(), "SessionProtector", () => envelope.SessionProtector(), 1, rounds));
        rows.Add(Pair("EnvelopeBenchmarks", "RawAesGcm", () => envelope.RawAesGcm(), "SessionProtector", () => envelope.SessionProtector(), 1, rounds));
        envelope.Cleanup();

        var serializer = new SerializerBenchmarks();
        serializer.Setup();
        rows.Add(Pair("SerializerBenchmarks", "MessagePackCSharp", () => serializer.MessagePackCSharp(), "Generated", () => serializer.Generated(), 1, rounds));
        rows.Add(Pair("SerializerBenchmarks", "SystemTextJson", () => serializer.SystemTextJson(), "Generated", () => serializer.Generated(), 1, rounds));

        var file = new FileWriteBenchmarks();
        file.Setup();
        rows.Add(Pair("FileWriteBenchmarks", "BareTempWriteFsyncRename", file.BareTempWriteFsyncRename, "FileSessionStorage_PowerLoss", () => file.FileSessionStorage_PowerLoss(), 1, rounds));
        rows.Add(Pair("FileWriteBenchmarks", "BareTempWriteRename_NoFsync", file.BareTempWriteRename_NoFsync, "FileSessionStorage_ProcessCrash", () => file.FileSessionStorage_ProcessCrash(), 1, rounds));
        file.Cleanup();

        if (includeRedis)
        {
            var redis = new RedisBenchmarks();
            redis.Setup();
            rows.Add(Pair("RedisBenchmarks", "Raw_StringGet", () => redis.Raw_StringGet(), "Connector_Get_Miss", () => redis.Connector_Get_Miss(), 1, rounds));
            redis.Cleanup();
        }

        foreach (Row r in rows)
        {
            Console.WriteLine($"paired     {r.Type,-22} {r.Subject,-32} / {r.Reference,-30} {r.MedianRatio,6:F2}x  ({r.SubjectMedianNs:F0} ns vs {r.ReferenceMedianNs:F0} ns)");
        }

        return rows;
    }

    public static void Save(List<Row> rows, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(rows, Report.JsonOptions));
    }

    private static Row Pair(string type, string referenceName, Action reference, string subjectName, Action subject, int batch, int rounds, int operationsPerCall = 1)
    {
        // Warm both for a while (tiered JIT promotes hot methods after ~100 ms), then size the batch so one batch
        // takes about 5 ms, and alternate the order every round.
        var warm = Stopwatch.StartNew();
        double referenceCall = double.MaxValue, subjectCall = double.MaxValue;
        while (warm.ElapsedMilliseconds < 500)
        {
            // The fastest call seen is the estimate least disturbed by other processes.
            referenceCall = Math.Min(referenceCall, Time(reference, batch) / batch);
            subjectCall = Math.Min(subjectCall, Time(subject, batch) / batch);
        }

        batch = Math.Max(batch, (int)(5e6 / Math.Max(1, Math.Max(referenceCall, subjectCall))));

        var referenceNs = new double[rounds];
        var subjectNs = new double[rounds];
        var ratios = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            if (r % 2 == 0)
            {
                referenceNs[r] = Time(reference, batch);
                subjectNs[r] = Time(subject, batch);
            }
            else
            {
                subjectNs[r] = Time(subject, batch);
                referenceNs[r] = Time(reference, batch);
            }

            ratios[r] = subjectNs[r] / referenceNs[r];
        }

        double perOp = (double)batch * operationsPerCall;
        return new Row(type, referenceName, subjectName, rounds, batch, Median(referenceNs) / perOp, Median(subjectNs) / perOp, Median(ratios));
    }

    private static double Time(Action action, int batch)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < batch; i++) action();
        return (Stopwatch.GetTimestamp() - start) * (1e9 / Stopwatch.Frequency);
    }

    private static double Median(double[] values)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }
}
