using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Entry point. Modes:
///   (none) or --quick   every benchmark class with a short in-process job (under 10 min on 2 cores), then the hit
///                       ratio simulation, the paired interleaved check and the throughput loop; writes the bdn
///                       section of benchmarks/RESULTS.md
///   --full              the same with BenchmarkDotNet's default job (out of process) and longer simulations
///   --only NAME[,NAME]  only the classes whose name contains NAME; prints verdicts, leaves RESULTS.md alone
///   --no-sim / --no-paired / --no-throughput   skip those parts (RESULTS.md is then not written either)
///   --sim | --paired | --throughput            run just that part and print it (--throughput memory: memory storage
///                       only, with the Set/Get mix and the contention counters); the memory rows run under the
///                       workstation collector here and again in a child process under the server collector
///   --durable-writes    PowerLoss file writes/s and median latency at 1 writer, 16 threads, 16 async writers and
///                       4 processes x 4 threads; prints only
///   --noisy             mark the run as noisy in RESULTS.md (also automatic when the load average is high)
///   --bdn ARGS...       hand the remaining arguments to BenchmarkSwitcher (e.g. --bdn --filter *Sieve* --list flat)
/// Exit code 2 when a target cannot be judged (a benchmark failed, did not run, or a target names no benchmark).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (TargetException e)
        {
            Console.Error.WriteLine($"bench: FAILED: {e.Message}");
            return 2;
        }
    }

    private static int Run(string[] args)
    {
        if (args.Contains("--durable-writes-child")) return DurableWriteRun.Child(args);
        if (args.Contains("--durable-writes")) { DurableWriteRun.Run(!args.Contains("--full")); return 0; }
        if (args.Contains(ThroughputRun.ServerGcChildArgument)) return ThroughputRun.ServerGcChild(args);

        string repoRoot = FindRepoRoot();
        string artifacts = Path.Combine(repoRoot, "benchmarks", "BenchmarkDotNet.Artifacts");
        bool quick = !args.Contains("--full");

        int bdnIndex = Array.IndexOf(args, "--bdn");
        if (bdnIndex >= 0)
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[(bdnIndex + 1)..], CreateConfig(quick, artifacts));
            return 0;
        }

        // Every target is read (and its reference resolved) before anything runs: a bad declaration fails in seconds.
        List<Type> types = Targets.BenchmarkTypes();
        foreach (Type type in types) Targets.Declared(type);

        var skipped = new Dictionary<Type, string>();
        if (RedisAvailability.WhyUnavailable() is { } redisSkip)
        {
            types.Remove(typeof(RedisBenchmarks));
            skipped[typeof(RedisBenchmarks)] = redisSkip;
            Console.WriteLine($"RedisBenchmarks skipped: {redisSkip}");
        }

        int onlyIndex = Array.IndexOf(args, "--only");
        if (onlyIndex >= 0)
        {
            string[] names = onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
            types = types.Where(t => names.Any(n => t.Name.Contains(n, StringComparison.OrdinalIgnoreCase))).ToList();
            if (types.Count == 0) throw new TargetException($"--only {string.Join(',', names)} matches no benchmark class.");
        }

        if (args.Contains("--sim")) { HitRatioSimulation.Run(quick); return 0; }
        if (args.Contains("--paired")) { PairedRun.Run(quick, types); return 0; }
        if (args.Contains("--throughput")) { ThroughputRun.Run(quick, memoryOnly: args.Contains("memory")); return 0; }

        DateTime started = DateTime.UtcNow;
        string loadAtStart = LoadAverage();
        var clock = Stopwatch.StartNew();
        Summary[] summaries = BenchmarkRunner.Run(types.ToArray(), CreateConfig(quick, artifacts));
        List<Verdict> verdicts = Judge(types, summaries);

        List<HitRatioSimulation.Row> hitRatio = args.Contains("--no-sim") ? [] : HitRatioSimulation.Run(quick);
        List<PairedRun.Row> paired = args.Contains("--no-paired") ? [] : PairedRun.Run(quick, types);
        List<ThroughputRun.Row> throughput = args.Contains("--no-throughput") ? [] : ThroughputRun.Run(quick);
        string loadAtEnd = LoadAverage();

        foreach (Verdict v in verdicts) Console.WriteLine($"target     {(v.Met ? "met   " : "MISSED")} {v.Target.Label}{Targets.At(v.Case)}: {v.Measured}");
        bool partial = onlyIndex >= 0 || args.Any(a => a is "--no-sim" or "--no-paired" or "--no-throughput");
        if (partial)
        {
            Console.WriteLine("Partial run: benchmarks/RESULTS.md left unchanged (it lists every target, so only a whole-suite run writes it).");
        }
        else
        {
            bool noisy = args.Contains("--noisy") || IsHigh(loadAtStart) || IsHigh(loadAtEnd);
            var run = new SuiteRun(quick ? "quick" : "full", started, clock.Elapsed, loadAtStart, loadAtEnd, noisy,
                summaries, verdicts, skipped, hitRatio, paired, throughput);
            ResultsFile.Write(Path.Combine(repoRoot, "benchmarks", "RESULTS.md"), run);
        }

        Console.WriteLine($"Suite finished in {clock.Elapsed.TotalMinutes:F1} min.");
        return 0;
    }

    /// <summary>Every verdict, in suite order; a class without results or a target without figures throws.</summary>
    private static List<Verdict> Judge(List<Type> types, Summary[] summaries)
    {
        var verdicts = new List<Verdict>();
        foreach (Type type in types)
        {
            Summary summary = summaries.FirstOrDefault(s => s.BenchmarksCases.Any(c => c.Descriptor.Type == type))
                ?? throw new TargetException($"{type.Name} produced no results (a validation error? see the log above).");
            if (summary.HasCriticalValidationErrors) throw new TargetException($"{type.Name} failed BenchmarkDotNet's validation (see the log above).");
            verdicts.AddRange(Targets.JudgeAll(summary));
        }

        return verdicts;
    }

    internal static bool IsHigh(string load) =>
        double.TryParse(load, NumberStyles.Float, CultureInfo.InvariantCulture, out double l) && l > Environment.ProcessorCount * 0.75;

    internal static string LoadAverage()
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

    private static IConfig CreateConfig(bool quick, string artifacts)
    {
        Job job = quick
            ? Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1)
                .WithWarmupCount(3)
                .WithIterationCount(15)
                .WithIterationTime(TimeInterval.FromMilliseconds(150))
                .WithId("Quick")
            : Job.Default.WithId("Full");

        return ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Descriptor, DefaultColumnProviders.Params, DefaultColumnProviders.Metrics)
            .AddColumn(StatisticColumn.Median, StatisticColumn.Mean, StatisticColumn.Error, BaselineRatioColumn.RatioMean, TargetColumn.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(JsonExporter.Brief, MarkdownExporter.GitHub, CsvExporter.Default)
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.DisableLogFile);
    }

    private static string FindRepoRoot()
    {
        foreach (string? start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (string? dir = start; dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "SessionConnector.sln"))) return dir;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
