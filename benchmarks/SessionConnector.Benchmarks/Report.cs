using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Turns BenchmarkDotNet's exported JSON (results/*-report-brief.json) plus the hit-ratio and throughput files into
/// benchmarks/RESULTS.md: machine description, then one table per comparison with the ratio first, each target and
/// whether it was met. Runs at the end of every suite run, or alone with --report.
/// </summary>
internal static class Report
{
    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private sealed record Entry(string Type, string Method, string Parameters, double MedianNs, double MeanNs, double ErrorNs, double? AllocatedBytes);

    private enum Kind
    {
        /// <summary>mean(subject) / mean(reference) must be at most the threshold.</summary>
        TimeRatioAtMost,

        /// <summary>subject allocates nothing per operation.</summary>
        ZeroAllocation,
    }

    private sealed record Target(string Text, string Subject, string Reference, Kind Kind, double Threshold);

    private sealed record Comparison(string Title, string Type, string[] Methods, string Baseline, Target[] Targets, string Explanation);

    private static readonly Comparison[] Comparisons =
    [
        new("1. Cache hit (string session IDs, 4096 entries)", "CacheHitBenchmarks",
            ["ConcurrentDictionary", "SieveCache", "BitFasterConcurrentLru", "MemoryCache"], "ConcurrentDictionary",
            [
                new("SieveCache ≤ 1.3× ConcurrentDictionary time", "SieveCache", "ConcurrentDictionary", Kind.TimeRatioAtMost, 1.3),
                new("SieveCache throughput ≥ 1.0× ConcurrentLru (time ≤ 1.0×)", "SieveCache", "BitFasterConcurrentLru", Kind.TimeRatioAtMost, 1.0),
                new("SieveCache allocates 0 B per hit", "SieveCache", "SieveCache", Kind.ZeroAllocation, 0),
            ],
            "Time is wall time per lookup per thread (16 384 lookups per thread per invocation, random order over the 4096 keys; with 2 threads both run concurrently on parked helper threads, so no allocation or thread start-up is measured); aggregate Mops/s = threads × 1000 / time in ns. Every contender reads a field of the value it returns."),
        new("3a. Typed session Get", "ConnectorBenchmarks",
            ["AspNetDistributedSession_Get", "Connector_Get_CacheHit", "Connector_Get_MemoryStorage"], "AspNetDistributedSession_Get",
            [
                new("Get (cache hit) ≥ 5× faster than DistributedSession + STJ (time ≤ 0.2×)", "Connector_Get_CacheHit", "AspNetDistributedSession_Get", Kind.TimeRatioAtMost, 0.2),
            ],
            "Cache hit: connector over storage that is not in-memory, so the SIEVE cache answers and returns a deep copy. MemoryStorage: the memory backend bypasses the cache, so each Get is storage read + AES-GCM decrypt + decode (informational). Baseline: a new DistributedSession per request over MemoryDistributedCache, LoadAsync, TryGetValue, STJ source-gen deserialize."),
        new("3b. Typed session Set", "ConnectorBenchmarks",
            ["AspNetDistributedSession_Set", "Connector_Set_MemoryStorage", "AspNetDistributedSession_Set_DataProtected"], "AspNetDistributedSession_Set",
            [
                new("Set (memory storage, encrypted) no slower than DistributedSession + STJ (time ≤ 1.0×)", "Connector_Set_MemoryStorage", "AspNetDistributedSession_Set", Kind.TimeRatioAtMost, 1.0),
            ],
            "Connector: serialize, AES-256-GCM encrypt, keyed-hash the ID, compare-and-set into memory storage, deep-copy into the cache snapshot. Baseline: DistributedSession LoadAsync + Set(STJ bytes) + CommitAsync, plaintext. _DataProtected (informational) is the same with IDataProtector.Protect over the JSON, i.e. what ASP.NET Core costs for an encrypted value like the connector's."),
        new("4. Envelope protect + unprotect, 200 B", "EnvelopeBenchmarks",
            ["DataProtection", "SessionProtector", "RawAesGcm"], "DataProtection",
            [
                new("SessionProtector ≥ 4× faster than Data Protection (time ≤ 0.25×)", "SessionProtector", "DataProtection", Kind.TimeRatioAtMost, 0.25),
                new("SessionProtector ≤ 1.5× raw reused AesGcm", "SessionProtector", "RawAesGcm", Kind.TimeRatioAtMost, 1.5),
            ],
            "Raw AesGcm: one reused instance, counter nonce, same AAD size (22 + 43 B), allocating the same two output arrays."),
        new("5. Serializer round trip (typical session)", "SerializerBenchmarks",
            ["MessagePackCSharp", "Generated", "SystemTextJson", "Generated_Json"], "MessagePackCSharp",
            [
                new("Generated (MessagePack) ≤ 0.8× MessagePack-CSharp", "Generated", "MessagePackCSharp", Kind.TimeRatioAtMost, 0.8),
                new("Generated (MessagePack) ≤ 0.5× System.Text.Json source-gen", "Generated", "SystemTextJson", Kind.TimeRatioAtMost, 0.5),
            ],
            "Serialize into a reused ArrayBufferWriter, then deserialize. MessagePack-CSharp: [MessagePackObject(keyAsPropertyName: true)] (the same map-by-name wire shape), StandardResolver (dynamic, JIT). Generated_Json is our JSON path, informational."),
        new("6. Durable file Set", "FileWriteBenchmarks",
            ["BareTempWriteFsyncRename", "FileSessionStorage_PowerLoss", "BareTempWriteRename_NoFsync", "FileSessionStorage_ProcessCrash"], "BareTempWriteFsyncRename",
            [
                new("FileSessionStorage.Write (PowerLoss) ≤ 1.2× bare temp-write + fsync + rename + dir fsync", "FileSessionStorage_PowerLoss", "BareTempWriteFsyncRename", Kind.TimeRatioAtMost, 1.2),
            ],
            "Same 24 + 330 bytes, same layout. The NoFsync pair (bare sequence without fsyncs vs ProcessCrash durability) is informational: it shows the storage's own overhead without the disk."),
        new("3c. Profile of Set on memory storage (informational)", "SetBreakdownBenchmarks",
            ["FullSet", "DeriveStorageKey", "EncodePayload", "Protect", "DeepClone", "StorageReadThenWrite"], "FullSet",
            [],
            "Each step of SessionStorageConnector.Set timed alone; ratios are shares of one full Set. The steps do not add up exactly (timestamps, metrics, expiry arithmetic and call overhead are not listed)."),
        new("7. Redis", "RedisBenchmarks",
            ["Raw_StringGet", "Connector_Get_Miss", "Connector_Get_Hit"], "Raw_StringGet",
            [
                new("Connector Get on a cache miss ≤ 1.2× raw StackExchange.Redis StringGet of the same bytes", "Connector_Get_Miss", "Raw_StringGet", Kind.TimeRatioAtMost, 1.2),
            ],
            "Miss: cache disabled, so each Get is a HashGet of the record + decrypt + decode. Hit: the connector's cache answers."),
    ];

    public static void Write(string artifacts, string resultsPath, RunInfo info)
    {
        List<Entry> entries = LoadEntries(Path.Combine(artifacts, "results"));
        var md = new StringBuilder();
        md.AppendLine("# SessionConnector benchmark results");
        md.AppendLine();
        md.AppendLine($"Generated by `scripts/bench.sh` ({info.Mode} mode) on {info.StartedUtc:yyyy-MM-dd HH:mm} UTC; the suite took {info.Duration.TotalMinutes:F1} min.");
        md.AppendLine();
        if (info.Noisy)
        {
            md.AppendLine($"> **Noisy run.** Load average was {info.LoadAtStart} at the start and {info.LoadAtEnd} at the end on {Environment.ProcessorCount} cores: other builds were running. " +
                "Absolute numbers are unreliable; ratios within one table were measured in the same run, but contention can still skew them (especially 2-thread and fsync rows). Re-run on a quiet machine.");
            md.AppendLine();
        }

        md.AppendLine("## Machine");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("| --- | --- |");
        md.AppendLine($"| CPU | {CpuModel()} |");
        md.AppendLine($"| Cores (logical) | {Environment.ProcessorCount} |");
        md.AppendLine($"| Memory | {MemoryTotal()} |");
        md.AppendLine($"| OS | {OsName()} ({RuntimeInformation.OSArchitecture}) |");
        md.AppendLine($"| .NET | {RuntimeInformation.FrameworkDescription} |");
        md.AppendLine($"| Load average (1 min) start / end | {info.LoadAtStart} / {info.LoadAtEnd} |");
        md.AppendLine($"| BenchmarkDotNet job | {info.JobDescription} |");
        md.AppendLine();
        md.AppendLine("Ratios are `median(row) / median(baseline)` of time per operation (the median resists the outliers a shared machine produces; the mean and BenchmarkDotNet's 99.9% error are shown too): below 1 is faster than the baseline. Targets are checked against the reference they name. Raw exports: `benchmarks/BenchmarkDotNet.Artifacts/results/` (JSON, CSV, GitHub markdown).");
        md.AppendLine();

        var summary = new List<(string Target, string Measured, string Verdict, string Paired)>();
        List<PairedRun.Row> paired = LoadPaired(Path.Combine(artifacts, "paired.json"));
        foreach (Comparison c in Comparisons)
        {
            WriteComparison(md, c, entries, summary, info, paired);
            if (c.Title.StartsWith("1.", StringComparison.Ordinal))
            {
                // Comparison 2 (hit ratio) is computed, not timed; it follows comparison 1 to keep the numbering.
                WriteHitRatio(md, Path.Combine(artifacts, "hitratio.json"), summary);
            }
        }

        WritePaired(md, paired);
        WriteThroughput(md, Path.Combine(artifacts, "throughput.json"));

        var head = new StringBuilder();
        head.AppendLine("## Targets at a glance");
        head.AppendLine();
        head.AppendLine("Verdicts use BenchmarkDotNet's medians. The last column re-measures each time ratio with the two contenders interleaved (median of 41 alternating rounds), which is the figure to trust when the run is marked noisy.");
        head.AppendLine();
        head.AppendLine("| Target | Measured (BDN) | Verdict | Paired interleaved check |");
        head.AppendLine("| --- | --- | --- | --- |");
        foreach ((string target, string measured, string verdict, string pairedText) in summary) head.AppendLine($"| {target} | {measured} | {verdict} | {pairedText} |");
        head.AppendLine();

        string text = md.ToString();
        int machine = text.IndexOf("## Machine", StringComparison.Ordinal);
        text = text.Insert(machine, head.ToString());

        string analysis = Path.Combine(Path.GetDirectoryName(resultsPath)!, "ANALYSIS.md");
        if (File.Exists(analysis))
        {
            text += Environment.NewLine + File.ReadAllText(analysis);
        }

        File.WriteAllText(resultsPath, text);
        Console.WriteLine($"Wrote {resultsPath}");
    }

    private static void WriteComparison(StringBuilder md, Comparison c, List<Entry> entries, List<(string, string, string, string)> summary, RunInfo info, List<PairedRun.Row> paired)
    {
        md.AppendLine($"## {c.Title}");
        md.AppendLine();
        List<Entry> rows = entries.Where(e => e.Type == c.Type && c.Methods.Contains(e.Method)).ToList();
        if (rows.Count == 0)
        {
            string why = info.Skipped.TryGetValue(c.Type, out string? reason) ? reason : "no results were exported for this class.";
            md.AppendLine($"_Not measured: {why}_");
            md.AppendLine();
            foreach (Target t in c.Targets) summary.Add((t.Text, "—", "not measured", "—"));
            return;
        }

        md.AppendLine(c.Explanation);
        md.AppendLine();
        foreach (IGrouping<string, Entry> group in rows.GroupBy(e => e.Parameters))
        {
            string suffix = group.Key.Length > 0 ? $" ({group.Key})" : "";
            if (group.Key.Length > 0)
            {
                md.AppendLine($"**{group.Key}**");
                md.AppendLine();
            }

            Entry? baseline = group.FirstOrDefault(e => e.Method == c.Baseline);
            md.AppendLine("| Ratio | Method | Median | Mean | Error | Allocated |");
            md.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: |");
            foreach (Entry e in group.OrderBy(e => Array.IndexOf(c.Methods, e.Method)))
            {
                string ratio = baseline is null ? "?" : (e.MedianNs / baseline.MedianNs).ToString("F2", CultureInfo.InvariantCulture) + "×";
                string name = e.Method == c.Baseline ? $"{e.Method} (baseline)" : e.Method;
                md.AppendLine($"| {ratio} | {name} | {FormatTime(e.MedianNs)} | {FormatTime(e.MeanNs)} | ±{FormatTime(e.ErrorNs)} | {FormatBytes(e.AllocatedBytes)} |");
            }

            md.AppendLine();
            if (c.Targets.Length == 0)
            {
                md.AppendLine();
                continue;
            }

            md.AppendLine("| Target | Measured (BDN) | Verdict | Paired interleaved check |");
            md.AppendLine("| --- | --- | --- | --- |");
            foreach (Target t in c.Targets)
            {
                Entry? subject = group.FirstOrDefault(e => e.Method == t.Subject);
                Entry? reference = group.FirstOrDefault(e => e.Method == t.Reference);
                string measured, verdict;
                if (subject is null || reference is null)
                {
                    measured = "—";
                    verdict = "not measured";
                }
                else if (t.Kind == Kind.ZeroAllocation)
                {
                    measured = FormatBytes(subject.AllocatedBytes);
                    verdict = subject.AllocatedBytes is null ? "unknown" : subject.AllocatedBytes.Value < 0.5 ? "**met**" : "**MISSED**";
                }
                else
                {
                    double r = subject.MedianNs / reference.MedianNs;
                    measured = r.ToString("F2", CultureInfo.InvariantCulture) + "×" + (r < 1 ? $" ({1 / r:F1}× faster)" : "");
                    verdict = r <= t.Threshold ? "**met**" : "**MISSED**";
                }

                string pairedText = "—";
                PairedRun.Row? pr = group.Key is "" or "Threads=1"
                    ? paired.FirstOrDefault(x => x.Type == c.Type && x.Subject == t.Subject && x.Reference == t.Reference)
                    : null;
                if (pr is not null && t.Kind == Kind.TimeRatioAtMost)
                {
                    pairedText = pr.MedianRatio.ToString("F2", CultureInfo.InvariantCulture) + "× " + (pr.MedianRatio <= t.Threshold ? "(met)" : "(MISSED)");
                }

                md.AppendLine($"| {t.Text} | {measured} | {verdict} | {pairedText} |");
                summary.Add((t.Text + suffix, measured, verdict, pairedText));
            }

            md.AppendLine();
        }
    }

    private static void WriteHitRatio(StringBuilder md, string path, List<(string, string, string, string)> summary)
    {
        md.AppendLine("## 2. Hit ratio, Zipf(0.86) over a key universe 10× the capacity");
        md.AppendLine();
        const string target = "SieveCache hit ratio ≥ BitFaster ConcurrentLru";
        if (!File.Exists(path))
        {
            md.AppendLine("_Not measured: the simulation did not run._");
            md.AppendLine();
            summary.Add((target, "—", "not measured", "n/a (computed)"));
            return;
        }

        List<HitRatioSimulation.Row> rows = JsonSerializer.Deserialize<List<HitRatioSimulation.Row>>(File.ReadAllText(path), JsonOptions) ?? [];
        md.AppendLine("Computed, not timed: one deterministic single-threaded simulation; every cache sees the same stream and a miss inserts the key. Ratio is the hit ratio relative to BitFaster ConcurrentLru.");
        md.AppendLine();
        foreach (IGrouping<int, HitRatioSimulation.Row> group in rows.GroupBy(r => r.Capacity))
        {
            HitRatioSimulation.Row? lru = group.FirstOrDefault(r => r.Cache.StartsWith("BitFaster ConcurrentLru", StringComparison.Ordinal));
            HitRatioSimulation.Row? ours = group.FirstOrDefault(r => r.Cache.StartsWith("SieveCache", StringComparison.Ordinal));
            HitRatioSimulation.Row first = group.First();
            md.AppendLine($"**capacity {first.Capacity}, universe {first.Universe}, {first.Requests:N0} requests**");
            md.AppendLine();
            md.AppendLine("| Ratio vs ConcurrentLru | Cache | Hit ratio |");
            md.AppendLine("| ---: | --- | ---: |");
            foreach (HitRatioSimulation.Row r in group)
            {
                string ratio = lru is null ? "?" : (r.HitRatio / lru.HitRatio).ToString("F3", CultureInfo.InvariantCulture) + "×";
                md.AppendLine($"| {ratio} | {r.Cache} | {r.HitRatio:P2} |");
            }

            md.AppendLine();
            if (ours is not null && lru is not null)
            {
                string measured = $"{ours.HitRatio:P2} vs {lru.HitRatio:P2}";
                string verdict = ours.HitRatio >= lru.HitRatio ? "**met**" : "**MISSED**";
                md.AppendLine($"Target: {target} — {measured} — {verdict}");
                md.AppendLine();
                summary.Add(($"{target} (capacity {first.Capacity})", measured, verdict, "n/a (computed)"));
            }
        }
    }

    private static void WritePaired(StringBuilder md, List<PairedRun.Row> paired)
    {
        md.AppendLine("## Paired interleaved cross-check");
        md.AppendLine();
        if (paired.Count == 0)
        {
            md.AppendLine("_Not run._");
            md.AppendLine();
            return;
        }

        md.AppendLine("Each pair runs in alternating batches (reference, subject, then subject, reference, …) in one process, so both contenders see the same background load. Ratio = median of the per-round subject/reference ratios; times are per operation (medians).");
        md.AppendLine();
        md.AppendLine("| Ratio | Subject | Reference | Subject time | Reference time | Rounds × batch |");
        md.AppendLine("| ---: | --- | --- | ---: | ---: | ---: |");
        foreach (PairedRun.Row r in paired)
        {
            md.AppendLine($"| {r.MedianRatio.ToString("F2", CultureInfo.InvariantCulture)}× | {r.Type}.{r.Subject} | {r.Reference} | {FormatTime(r.SubjectMedianNs)} | {FormatTime(r.ReferenceMedianNs)} | {r.Rounds} × {r.Batch} |");
        }

        md.AppendLine();
    }

    private static void WriteThroughput(StringBuilder md, string path)
    {
        md.AppendLine("## Throughput (custom timed loop)");
        md.AppendLine();
        if (!File.Exists(path))
        {
            md.AppendLine("_Not measured: the throughput run did not run._");
            md.AppendLine();
            return;
        }

        List<ThroughputRun.Row> rows = JsonSerializer.Deserialize<List<ThroughputRun.Row>>(File.ReadAllText(path), JsonOptions) ?? [];
        md.AppendLine("Connector Get/Set mix (Set = the typical session, 1 h expiry) over a Zipf(0.86) stream on 10 000 sessions, cache capacity 4096; best of 3 runs of 1 s each (quick mode). Memory storage bypasses the cache (every Get decrypts and decodes); file storage is read through the cache. Ratio is against the 1-thread row of the same scenario (ideal 2-thread scaling on 2 cores: 2.00×).");
        md.AppendLine();
        md.AppendLine("| Ratio vs 1 thread | Scenario | Storage | Threads | Mops/s | Allocated/op |");
        md.AppendLine("| ---: | --- | --- | ---: | ---: | ---: |");
        foreach (ThroughputRun.Row r in rows)
        {
            ThroughputRun.Row? one = rows.FirstOrDefault(o => o.Scenario == r.Scenario && o.Storage == r.Storage && o.Threads == 1);
            string ratio = one is null ? "?" : (r.MopsPerSecond / one.MopsPerSecond).ToString("F2", CultureInfo.InvariantCulture) + "×";
            md.AppendLine($"| {ratio} | {r.Scenario} | {r.Storage} | {r.Threads} | {r.MopsPerSecond:F3} | {r.BytesPerOperation:F0} B |");
        }

        md.AppendLine();
    }

    private static List<PairedRun.Row> LoadPaired(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<List<PairedRun.Row>>(File.ReadAllText(path), JsonOptions) ?? [] : [];

    private static List<Entry> LoadEntries(string resultsDirectory)
    {
        var list = new List<Entry>();
        if (!Directory.Exists(resultsDirectory)) return list;
        foreach (string file in Directory.EnumerateFiles(resultsDirectory, "*-report-brief.json"))
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
            if (!doc.RootElement.TryGetProperty("Benchmarks", out JsonElement benchmarks)) continue;
            foreach (JsonElement b in benchmarks.EnumerateArray())
            {
                if (!b.TryGetProperty("Statistics", out JsonElement stats) || stats.ValueKind != JsonValueKind.Object) continue;
                string type = b.GetProperty("Type").GetString() ?? "";
                string method = b.GetProperty("Method").GetString() ?? "";
                string parameters = b.TryGetProperty("Parameters", out JsonElement p) ? p.GetString() ?? "" : "";
                double mean = stats.GetProperty("Mean").GetDouble();
                double median = stats.TryGetProperty("Median", out JsonElement med) ? med.GetDouble() : mean;
                double error = 0;
                if (stats.TryGetProperty("ConfidenceInterval", out JsonElement ci) && ci.TryGetProperty("Margin", out JsonElement margin)) error = margin.GetDouble();
                double? allocated = null;
                if (b.TryGetProperty("Memory", out JsonElement memory) && memory.TryGetProperty("BytesAllocatedPerOperation", out JsonElement a) && a.ValueKind == JsonValueKind.Number)
                {
                    allocated = a.GetDouble();
                }

                // Latest file wins if a class was run twice.
                list.RemoveAll(e => e.Type == type && e.Method == method && e.Parameters == parameters);
                list.Add(new Entry(type, method, parameters, median, mean, error, allocated));
            }
        }

        return list;
    }

    private static string FormatTime(double ns) => ns switch
    {
        >= 1e6 => (ns / 1e6).ToString("F3", CultureInfo.InvariantCulture) + " ms",
        >= 1e3 => (ns / 1e3).ToString("F3", CultureInfo.InvariantCulture) + " μs",
        _ => ns.ToString("F2", CultureInfo.InvariantCulture) + " ns",
    };

    private static string FormatBytes(double? bytes) => bytes switch
    {
        null => "?",
        < 0.5 => "0 B",
        _ => bytes.Value.ToString("F0", CultureInfo.InvariantCulture) + " B",
    };

    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string MemoryTotal()
    {
        try
        {
            string? line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal));
            if (line is null) return "?";
            long kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return $"{kb / 1024.0 / 1024.0:F1} GiB";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string OsName()
    {
        try
        {
            string? line = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            if (line is not null) return line["PRETTY_NAME=".Length..].Trim('"') + ", kernel " + Environment.OSVersion.Version;
        }
        catch (IOException)
        {
        }

        return RuntimeInformation.OSDescription;
    }
}

internal sealed class RunInfo
{
    public string Mode { get; set; } = "quick";

    public DateTime StartedUtc { get; set; } = DateTime.UtcNow;

    public TimeSpan Duration { get; set; }

    public string LoadAtStart { get; set; } = "?";

    public string LoadAtEnd { get; set; } = "?";

    public bool Noisy { get; set; }

    public string JobDescription { get; set; } = "";

    public Dictionary<string, string> Skipped { get; set; } = [];
}
