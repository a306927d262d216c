using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Entry point. Modes:
///   (none) or --quick   whole suite with a short in-process job (< 10 min on 2 cores), then hit ratio, throughput and RESULTS.md
///   --full              whole suite with BenchmarkDotNet's default job (out of process), longer simulations
///   --only NAME[,NAME]  restrict the BenchmarkDotNet classes (substring of the class name); "none" runs none
///   --no-sim / --no-paired / --no-throughput   skip those modes
///   --sim | --paired | --throughput | --report   run just that part (--report rebuilds RESULTS.md from the last artifacts)
///   --noisy             mark RESULTS.md as a noisy run (also automatic when the load average is high)
///   --bdn ARGS...       hand the remaining arguments to BenchmarkSwitcher (e.g. --bdn --filter *Sieve* --list flat)
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string repoRoot = FindRepoRoot();
        string artifacts = Path.Combine(repoRoot, "benchmarks", "BenchmarkDotNet.Artifacts");
        string resultsPath = Path.Combine(repoRoot, "benchmarks", "RESULTS.md");
        string runInfoPath = Path.Combine(artifacts, "run-info.json");

        int bdnIndex = Array.IndexOf(args, "--bdn");
        if (bdnIndex >= 0)
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[(bdnIndex + 1)..], CreateConfig(quick: args.Contains("--quick"), artifacts));
            return 0;
        }

        bool full = args.Contains("--full");
        bool quick = !full;
        if (args.Contains("--report"))
        {
            RunInfo saved = File.Exists(runInfoPath)
                ? JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(runInfoPath), Report.JsonOptions) ?? new RunInfo()
                : new RunInfo();
            Report.Write(artifacts, resultsPath, saved);
            return 0;
        }

        if (args.Contains("--sim"))
        {
            HitRatioSimulation.Save(HitRatioSimulation.Run(quick), Path.Combine(artifacts, "hitratio.json"));
            return 0;
        }

        if (args.Contains("--paired"))
        {
            PairedRun.Save(PairedRun.Run(quick, includeRedis: RedisAvailability.WhyUnavailable() is null), Path.Combine(artifacts, "paired.json"));
            return 0;
        }

        if (args.Contains("--throughput"))
        {
            ThroughputRun.Save(ThroughputRun.Run(quick), Path.Combine(artifacts, "throughput.json"));
            return 0;
        }

        var info = new RunInfo
        {
            Mode = quick ? "quick" : "full",
            StartedUtc = DateTime.UtcNow,
            LoadAtStart = Report.LoadAverage(),
        };
        var clock = Stopwatch.StartNew();

        List<Type> types = [typeof(CacheHitBenchmarks), typeof(ConnectorBenchmarks), typeof(EnvelopeBenchmarks), typeof(SerializerBenchmarks), typeof(FileWriteBenchmarks), typeof(SetBreakdownBenchmarks)];
        string? redisSkip = RedisAvailability.WhyUnavailable();
        if (redisSkip is null)
        {
            types.AddRange(RedisAvailability.BenchmarkTypes());
        }
        else
        {
            info.Skipped["RedisBenchmarks"] = redisSkip;
            Console.WriteLine($"Comparison 7 (Redis) skipped: {redisSkip}");
        }

        int onlyIndex = Array.IndexOf(args, "--only");
        if (onlyIndex >= 0 && onlyIndex + 1 < args.Length)
        {
            string[] names = args[onlyIndex + 1].Split(',', StringSplitOptions.RemoveEmptyEntries);
            types = types.Where(t => names.Any(n => t.Name.Contains(n, StringComparison.OrdinalIgnoreCase))).ToList();
        }

        IConfig config = CreateConfig(quick, artifacts);
        info.JobDescription = quick
            ? "Quick: in-process (emit) toolchain, 1 launch, 3 warm-up + 15 measured iterations of ~150 ms, MemoryDiagnoser"
            : "Default: out-of-process, BenchmarkDotNet's automatic warm-up and iteration counts, MemoryDiagnoser";
        if (types.Count > 0)
        {
            // Old exports would otherwise be mixed into this run's report.
            string results = Path.Combine(artifacts, "results");
            if (Directory.Exists(results) && onlyIndex < 0) Directory.Delete(results, recursive: true);
            BenchmarkRunner.Run(types.ToArray(), config);
        }

        if (!args.Contains("--no-sim"))
        {
            HitRatioSimulation.Save(HitRatioSimulation.Run(quick), Path.Combine(artifacts, "hitratio.json"));
        }

        if (!args.Contains("--no-paired"))
        {
            PairedRun.Save(PairedRun.Run(quick, includeRedis: redisSkip is null), Path.Combine(artifacts, "paired.json"));
        }

        if (!args.Contains("--no-throughput"))
        {
            ThroughputRun.Save(ThroughputRun.Run(quick), Path.Combine(artifacts, "throughput.json"));
        }

        info.Duration = clock.Elapsed;
        info.LoadAtEnd = Report.LoadAverage();
        info.Noisy = args.Contains("--noisy") || IsHigh(info.LoadAtStart) || IsHigh(info.LoadAtEnd);
        Directory.CreateDirectory(artifacts);
        File.WriteAllText(runInfoPath, JsonSerializer.Serialize(info, Report.JsonOptions));
        Report.Write(artifacts, resultsPath, info);
        Console.WriteLine($"Suite finished in {clock.Elapsed.TotalMinutes:F1} min.");
        return 0;
    }

    private static bool IsHigh(string load) =>
        double.TryParse(load, NumberStyles.Float, CultureInfo.InvariantCulture, out double l) && l > Environment.ProcessorCount * 0.75;

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
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(CategoriesColumn.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(JsonExporter.Brief, MarkdownExporter.GitHub, CsvExporter.Default)
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.DisableLogFile);
    }

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir, "SessionConnector.sln"))) return dir;
            dir = Path.GetDirectoryName(dir);
        }

        dir = Directory.GetCurrentDirectory();
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir, "SessionConnector.sln"))) return dir;
            dir = Path.GetDirectoryName(dir);
        }

        return Directory.GetCurrentDirectory();
    }
}
