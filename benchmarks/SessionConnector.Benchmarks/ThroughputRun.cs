using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime;
using System.Text;
using System.IO;
using System.Threading;
using SessionConnector.Storage;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Throughput mode (custom timed loop, not BenchmarkDotNet, issue 18): N threads hammer one connector with a mix of
/// Get and Update (an atomic read-modify-write) over a Zipf(0.86) key stream, on memory and file storage at 1 and 2
/// threads; reports operations per second (aggregate over threads).
/// </summary>
internal static class ThroughputRun
{
    public sealed record Row(string Scenario, string Storage, int Threads, double ReadShare, long Operations, double Seconds, long AllocatedBytes)
    {
        /// <summary>The contention counters that moved during this run (see <c>SessionConnector.Internal.Contention</c>).</summary>
        public (string Name, long Value)[] Contended { get; init; } = [];

        /// <summary>The garbage collector the run's process used: <see cref="Workstation"/> or <see cref="Server"/>.</summary>
        public string Gc { get; init; } = Workstation;

        /// <summary>
        /// The worker threads' CPU time (all threads together): it leaves out the time other processes held the cores, so
        /// operations per CPU-second compare across loads where operations per wall-second do not.
        /// </summary>
        public double CpuSeconds { get; init; } = double.NaN;

        public double OpsPerCpuSecond => Operations / CpuSeconds;

        /// <summary>
        /// The share of the wall time the process spent paused for garbage collection, and the collections during the run:
        /// pauses stop every worker at once (the workstation, non-concurrent collector runs them on one thread), so this
        /// share is serial time no second thread can overlap (and the CPU-projected ratio does not see).
        /// </summary>
        public double GcPauseShare { get; init; } = double.NaN;

        public int Collections { get; init; }

        /// <summary>The share of the wall time the workers ran: 1.0 means each had a core of its own throughout.</summary>
        public double CpuShare => CpuSeconds / (Seconds * Threads);

        /// <summary>
        /// The cores other processes (and the hypervisor, as steal) kept busy during the run, on average: the machine's busy
        /// time from /proc/stat minus this process's own CPU time, over the wall time; NaN where /proc/stat is not there.
        /// Unlike the load average, which counts the bench's own workers (a 2-thread run leaves ~2 behind it), this sees only
        /// what competed with them.
        /// </summary>
        public double OthersCores { get; init; } = double.NaN;

        /// <summary>The 1-minute load average when the run started (a busy machine makes the thread ratio unreadable).</summary>
        public string LoadAtStart { get; init; } = "?";

        public double MopsPerSecond => Operations / Seconds / 1e6;

        public double BytesPerOperation => (double)AllocatedBytes / Operations;
    }

    private const int Universe = 10_000;

    /// <summary>The <see cref="Row.Gc"/> label of rows measured in this process (the bench project's workstation, non-concurrent collector).</summary>
    public const string Workstation = "workstation";

    /// <summary>The <see cref="Row.Gc"/> label of rows measured in the child process that runs the server collector.</summary>
    public const string Server = "server";

    /// <summary>The argument that makes the program the server-collector child (see <see cref="ServerGcChild"/>).</summary>
    public const string ServerGcChildArgument = "--throughput-server-gc-child";

    /// <summary>Issue 27's scaling target: the Set+Get mix on memory storage at 2 threads, as a multiple of 1 thread.</summary>
    private const string TargetScenario = "Set/Get 50/50";
    private const double TargetRatio = 1.8;
    private const int StreamLength = 1 << 18;

    /// <summary>
    /// The collector the target is judged under: a server's 2+ cores run the server collector (ASP.NET Core's default, with
    /// DATAS in .NET 10), where each core collects its own heap; the workstation collector, which this project keeps so the
    /// other modes' figures stay comparable, pauses every worker for one thread's collection. Its rows stay printed beside.
    /// </summary>
    private const string TargetGc = Server;

    /// <param name="quick">Short runs.</param>
    /// <param name="memoryOnly">Only memory storage (<c>--throughput memory</c>): the scaling check of issue 27.</param>
    public static List<Row> Run(bool quick, bool memoryOnly = false)
    {
        TimeSpan duration = Duration(quick);
        int repeats = 3;
        var rows = new List<Row>();
        string[] ids = Shared.SessionIds(Universe, seed: 99);
        BenchSession value = BenchSession.CreateTypical();

        AddMemoryMixes(rows, repeats, ids, value, duration);
        // The same memory sweep under the server collector, in a child process: the collector is chosen when a process
        // starts (DOTNET_gcServer), never from inside the library or by changing this process's settings.
        rows.AddRange(RunServerGcChild(quick));

        if (memoryOnly)
        {
            Print(rows);
            return rows;
        }

        string directory = Shared.ScratchDirectory("throughput-file");
        try
        {
            // Populate without fsyncs (10 000 durable writes would take most of the time budget), then reopen durable.
            using (var loader = new SessionStorageConnector(new FileSessionStorage(directory, FileDurability.ProcessCrash), Shared.Options()))
            {
                Populate(loader, ids, value);
            }

            foreach ((FileDurability durability, string label) in new[] { (FileDurability.PowerLoss, "file (PowerLoss)"), (FileDurability.ProcessCrash, "file (ProcessCrash)") })
            {
                using var file = new SessionStorageConnector(new FileSessionStorage(directory, durability), Shared.Options());
                AddMixes(rows, repeats, label, file, ids, value, duration);
            }
        }
        finally
        {
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }

        Print(rows);
        return rows;
    }

    /// <summary>
    /// The server-collector child (<c>--throughput-server-gc-child [--full]</c>, started by <see cref="RunServerGcChild"/> with
    /// DOTNET_gcServer=1): runs the memory sweep and writes its rows to standard output, one per line.
    /// </summary>
    public static int ServerGcChild(string[] args)
    {
        if (!GCSettings.IsServerGC)
        {
            Console.Error.WriteLine("throughput: the server-collector child runs the workstation collector (DOTNET_gcServer=1 was not honoured).");
            return 3;
        }

        var rows = new List<Row>();
        AddMemoryMixes(rows, repeats: 3, Shared.SessionIds(Universe, seed: 99), BenchSession.CreateTypical(), Duration(quick: !args.Contains("--full")));
        foreach (Row r in rows) Console.WriteLine(Format(r with { Gc = Server }));
        return 0;
    }

    private static TimeSpan Duration(bool quick) => TimeSpan.FromMilliseconds(quick ? 1000 : 3000);

    private static void AddMemoryMixes(List<Row> rows, int repeats, string[] ids, BenchSession value, TimeSpan duration)
    {
        using var memory = new SessionStorageConnector(new MemorySessionStorage(), Shared.Options());
        Populate(memory, ids, value);
        AddMixes(rows, repeats, "memory", memory, ids, value, duration, setGet: true);
    }

    /// <summary>Starts this program again as the server-collector child and reads back its rows; a child that fails fails the run.</summary>
    private static List<Row> RunServerGcChild(bool quick)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(ThroughputRun).Assembly.Location);
        info.ArgumentList.Add(ServerGcChildArgument);
        if (!quick) info.ArgumentList.Add("--full");
        info.Environment["DOTNET_gcServer"] = "1";
        using Process child = Process.Start(info) ?? throw new TargetException("The server-collector throughput child did not start.");
        // Both pipes drained at once: a child that fills one while this process waits on the other would stall.
        System.Threading.Tasks.Task<string> errors = child.StandardError.ReadToEndAsync();
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new TargetException($"The server-collector throughput child exited with {child.ExitCode}: {errors.Result.Trim()}");
        List<Row> rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();
        if (rows.Count == 0) throw new TargetException("The server-collector throughput child reported no rows.");
        return rows;
    }

    /// <summary>One row as a tab-separated line (invariant culture), for the child's output; <see cref="Parse"/> reads it back.</summary>
    internal static string Format(Row r) => string.Join('\t',
        r.Gc, r.Scenario, r.Storage, r.Threads.ToString(CultureInfo.InvariantCulture), r.ReadShare.ToString("R", CultureInfo.InvariantCulture),
        r.Operations.ToString(CultureInfo.InvariantCulture), r.Seconds.ToString("R", CultureInfo.InvariantCulture), r.AllocatedBytes.ToString(CultureInfo.InvariantCulture),
        r.CpuSeconds.ToString("R", CultureInfo.InvariantCulture), r.GcPauseShare.ToString("R", CultureInfo.InvariantCulture), r.Collections.ToString(CultureInfo.InvariantCulture),
        r.LoadAtStart, string.Join('|', r.Contended.Select(c => c.Name + "=" + c.Value.ToString(CultureInfo.InvariantCulture))),
        r.OthersCores.ToString("R", CultureInfo.InvariantCulture));

    internal static Row Parse(string line)
    {
        string[] f = line.Split('\t');
        if (f.Length != 14) throw new TargetException($"The server-collector throughput child wrote a line that is not a row: {line}");
        return new Row(f[1], f[2], int.Parse(f[3], CultureInfo.InvariantCulture), double.Parse(f[4], CultureInfo.InvariantCulture),
            long.Parse(f[5], CultureInfo.InvariantCulture), double.Parse(f[6], CultureInfo.InvariantCulture), long.Parse(f[7], CultureInfo.InvariantCulture))
        {
            Gc = f[0],
            CpuSeconds = double.Parse(f[8], CultureInfo.InvariantCulture),
            GcPauseShare = double.Parse(f[9], CultureInfo.InvariantCulture),
            Collections = int.Parse(f[10], CultureInfo.InvariantCulture),
            LoadAtStart = f[11],
            Contended = f[12].Split('|', StringSplitOptions.RemoveEmptyEntries)
                .Select(c => (c[..c.LastIndexOf('=')], long.Parse(c[(c.LastIndexOf('=') + 1)..], CultureInfo.InvariantCulture))).ToArray(),
            OthersCores = double.Parse(f[13], CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The 1-thread row a row's ratio is against: same mix, storage and collector.</summary>
    private static Row OneThread(IReadOnlyList<Row> rows, Row r) =>
        rows.First(o => o.Scenario == r.Scenario && o.Storage == r.Storage && o.Gc == r.Gc && o.Threads == 1);

    private static void Print(List<Row> rows)
    {
        foreach (Row r in rows)
        {
            Row one = OneThread(rows, r);
            Console.WriteLine($"throughput {r.Scenario,-18} {r.Storage,-20} gc {r.Gc,-11} threads {r.Threads,3}  {r.MopsPerSecond,8:F3} Mops/s  {r.MopsPerSecond / one.MopsPerSecond,5:F2}x 1 thread  " +
                $"{r.BytesPerOperation,8:F0} B/op  cpu-projected {CpuProjected(r, one),5:F2}x (cpu share {r.CpuShare:F2})  gc {r.Collections,4} pauses {r.GcPauseShare:P1}  others {r.OthersCores:F2} cores  load {r.LoadAtStart,5}  {Contended(r)}");
        }

        // Counted only when a lock was found taken or a compare-and-set lost: on a big machine these say which line queues.
        // This process's counters: the server-collector child's are in its rows' contention column.
        foreach ((string name, long value) in SessionConnector.Internal.Contention.Snapshot()) Console.WriteLine($"contention {name,-32} {value,12:N0}");
        Console.WriteLine(Verdict(rows));
    }

    /// <summary>
    /// What <paramref name="r"/>'s thread count would give over one thread with a core per thread: threads × (operations per
    /// CPU-second here / at one thread). Load-robust for what costs CPU (cache-line transfers, spinning, lost compare-and-swaps),
    /// blind to time spent blocked (the contention counters beside it show whether anything queued).
    /// </summary>
    private static double CpuProjected(Row r, Row one) => r.Threads * r.OpsPerCpuSecond / one.OpsPerCpuSecond;

    /// <summary>The contention counters that moved in a row's run, per 1000 operations (empty: nothing queued).</summary>
    private static string Contended(Row r) =>
        string.Join(", ", r.Contended.Select(c => $"{c.Name} {c.Value * 1000.0 / r.Operations:F2}/1k ops"));

    /// <summary>
    /// The target line: the Set+Get mix on memory at 2 threads over 1 thread under the server collector (see
    /// <see cref="TargetGc"/>), with the workstation collector's ratio beside it; judged only when the machine was quiet
    /// enough for a second thread to get a core of its own, otherwise it says what a quiet run needs instead of a verdict.
    /// </summary>
    internal static string Verdict(IReadOnlyList<Row> rows)
    {
        string label = $"target {TargetScenario} memory 2 threads >= {TargetRatio}x 1 thread (judged under the {TargetGc} collector, which a server's 2+ cores run)";
        Row? one = Find(rows, TargetGc, 1);
        Row? two = Find(rows, TargetGc, 2);
        if (one is null || two is null) return $"{label}: not measured";
        double ratio = two.MopsPerSecond / one.MopsPerSecond;
        Row? wsOne = Find(rows, Workstation, 1);
        Row? wsTwo = Find(rows, Workstation, 2);
        string beside = wsOne is null || wsTwo is null ? "" : $"; workstation collector {wsTwo.MopsPerSecond / wsOne.MopsPerSecond:F2}x (gc pauses {wsOne.GcPauseShare:P1} / {wsTwo.GcPauseShare:P1})";
        string loads = $"other processes kept {one.OthersCores:F2} / {two.OthersCores:F2} cores busy, load {one.LoadAtStart} / {two.LoadAtStart}, at the 1- / 2-thread runs on {Environment.ProcessorCount} cores";
        string verdict = ratio >= TargetRatio ? "met" : "NOT met";
        if (Busy(one) || Busy(two) || Environment.ProcessorCount < 2)
        {
            return $"{label}: {ratio:F2}x ({verdict} on a busy machine: not judged; {loads}; " +
                $"cpu-projected {CpuProjected(two, one):F2}x with cpu share {two.CpuShare:F2}, which leaves out time spent blocked{beside}). " +
                $"A quiet run needs at least 2 idle cores (other processes below {QuietOthersCores:F2} cores during the runs, or where /proc/stat is missing a 1-minute load below {Environment.ProcessorCount * 0.75:F1}, " +
                "e.g. other builds or tests stopped) for the whole run; compare against the previous build in alternation (paired) rather than across days.";
        }

        return $"{label}: {ratio:F2}x, {verdict} ({loads}{beside})";
    }

    /// <summary>What other processes may take (in cores, on average) for a thread ratio to be judged.</summary>
    private const double QuietOthersCores = 0.25;

    /// <summary>
    /// Whether other processes competed with the run's workers: measured where /proc/stat exists (the 1-minute load average
    /// also counts the bench's own workers, so alternating 1- and 2-thread runs alone keep it near 1.5 on a quiet machine),
    /// else judged by the load average.
    /// </summary>
    private static bool Busy(Row r) => double.IsNaN(r.OthersCores) ? Program.IsHigh(r.LoadAtStart) : r.OthersCores > QuietOthersCores;

    private static Row? Find(IReadOnlyList<Row> rows, string gc, int threads) =>
        rows.FirstOrDefault(r => r.Scenario == TargetScenario && r.Storage == "memory" && r.Gc == gc && r.Threads == threads);

    public static void WriteMarkdown(StringBuilder md, IReadOnlyList<Row> rows)
    {
        if (rows.Count == 0) return;
        md.AppendLine("### Throughput: Get/Update mix (custom timed loop)");
        md.AppendLine();
        md.AppendLine("Connector Get and Update (atomic read-modify-write of the typical session: storage read, decrypt, decode, change, encode, seal, compare-and-set) over a Zipf(0.86) stream on 10 000 sessions, cache capacity 4096; best of 3 runs of 1 s each (quick mode). Memory storage bypasses the cache (every Get decrypts and decodes); file storage is read through the cache, and every Update reads the file. Ratio is against the 1-thread row of the same mix, storage and garbage collector (ideal: the thread count, up to the number of cores); the CPU-projected ratio is threads × operations per CPU-second over the 1-thread row's, which a loaded machine does not distort but which leaves out time spent blocked. The memory rows run twice: in the bench's own process (workstation, non-concurrent collector) and in a child process started with DOTNET_gcServer=1 (the server collector, which servers and ASP.NET Core run); the issue-27 target is judged on the server rows.");
        md.AppendLine();
        md.AppendLine("| Ratio vs 1 thread | CPU-projected ratio | Mix | Storage | GC | Threads | Operations/s | Allocated/op | GC pauses | Load |");
        md.AppendLine("| ---: | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (Row r in rows)
        {
            Row one = OneThread(rows, r);
            md.AppendLine($"| {(r.MopsPerSecond / one.MopsPerSecond).ToString("F2", CultureInfo.InvariantCulture)}× | {CpuProjected(r, one).ToString("F2", CultureInfo.InvariantCulture)}× | {r.Scenario} | {r.Storage} | {r.Gc} | {r.Threads} | {r.MopsPerSecond * 1e6:N0} | {r.BytesPerOperation:F0} B | {r.GcPauseShare.ToString("P1", CultureInfo.InvariantCulture)} | {r.LoadAtStart} |");
        }

        md.AppendLine();
        md.AppendLine(Verdict(rows));
        md.AppendLine();
    }

    private static void AddMixes(List<Row> rows, int repeats, string storage, SessionStorageConnector connector, string[] ids, BenchSession value, TimeSpan duration, bool setGet = false)
    {
        var mixes = new List<(string Scenario, double ReadShare, bool BlindSet)> { ("Get/Update 95/5", 0.95, false), ("Get/Update 50/50", 0.50, false) };
        // Set+Get (issue 27's scaling target on memory storage: 2 threads ≥ 1.8× one).
        if (setGet) mixes.Add(("Set/Get 50/50", 0.50, true));
        int[] sweep = ThreadSweep().ToArray();
        var best = new Row?[mixes.Count, sweep.Length];
        // The thread counts of one mix alternate run by run (1, 2, …, 1, 2, …), best of each kept: a thread ratio is a
        // quotient of two rows, so a drift in the machine's speed (another process, the VM's neighbours) between a block of
        // 1-thread runs and a later block of 2-thread runs would move the ratio; alternating spreads the drift over both.
        for (int m = 0; m < mixes.Count; m++)
        {
            for (int repeat = 0; repeat < repeats; repeat++)
            {
                for (int t = 0; t < sweep.Length; t++)
                {
                    Row row = Measure(mixes[m].Scenario, storage, connector, ids, value, sweep[t], mixes[m].ReadShare, duration, mixes[m].BlindSet);
                    // On a shared machine the fastest run is the one least disturbed by other processes.
                    if (best[m, t] is not { } b || row.MopsPerSecond > b.MopsPerSecond) best[m, t] = row;
                }
            }
        }

        for (int t = 0; t < sweep.Length; t++)
        {
            for (int m = 0; m < mixes.Count; m++) rows.Add(best[m, t]!);
        }
    }

    /// <summary>1, 2, 4, … and the core count itself: 1 and 2 threads here; the whole curve on a big machine, with no edits.</summary>
    internal static IEnumerable<int> ThreadSweep()
    {
        int cores = Math.Max(2, Environment.ProcessorCount);
        int threads = 1;
        for (; threads < cores; threads *= 2) yield return threads;
        yield return cores;
    }

    private static void Populate(SessionStorageConnector connector, string[] ids, BenchSession value)
    {
        foreach (string id in ids) connector.Set(id, value, TimeSpan.FromHours(1));
    }

    private static Row Measure(string scenario, string storage, SessionStorageConnector connector, string[] ids, BenchSession value, int threads, double readShare, TimeSpan duration, bool blindSet = false)
    {
        int[][] streams = new int[threads][];
        for (int t = 0; t < threads; t++) streams[t] = Zipf.Stream(Universe, 0.86, StreamLength, seed: 1000 + t);
        int writeEvery = (int)Math.Round(1 / (1 - readShare)); // 95/5 -> every 20th op, 50/50 -> every 2nd

        // Warm-up: fill the cache and JIT every path.
        Loop(connector, ids, value, streams[0], writeEvery, TimeSpan.FromMilliseconds(300), stop: null, blindSet);

        long[] counts = new long[threads];
        double[] cpuNs = new double[threads];
        long[] allocatedBytes = new long[threads];
        var stopFlag = new StrongBox();
        var workers = new Thread[threads];
        using var start = new ManualResetEventSlim();
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() =>
            {
                start.Wait();
                double cpu0 = PairedRun.ThreadCpuNs();
                long allocated0 = GC.GetAllocatedBytesForCurrentThread();
                counts[index] = Loop(connector, ids, value, streams[index], writeEvery, duration, stopFlag, blindSet);
                allocatedBytes[index] = GC.GetAllocatedBytesForCurrentThread() - allocated0;
                cpuNs[index] = PairedRun.ThreadCpuNs() - cpu0;
            });
            workers[t].Start();
        }

        string load = Program.LoadAverage();
        double machineBusy = MachineBusySeconds();
        TimeSpan ownCpu = Process.GetCurrentProcess().TotalProcessorTime;
        (string Name, long Value)[] contentionBefore = SessionConnector.Internal.Contention.Snapshot();
        TimeSpan paused = GC.GetTotalPauseDuration();
        int collections = GC.CollectionCount(0);
        long t0 = Stopwatch.GetTimestamp();
        start.Set();
        Thread.Sleep(duration);
        stopFlag.Stop = true;
        foreach (Thread w in workers) w.Join();
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        double others = (MachineBusySeconds() - machineBusy - (Process.GetCurrentProcess().TotalProcessorTime - ownCpu).TotalSeconds) / seconds;
        // Per worker thread, not GC.GetTotalAllocatedBytes: under the server collector's dynamic heap count (DATAS) the
        // process total is not monotonic on this runtime (heaps taken out of service drop out of the sum), and a run
        // printed a negative figure. The workers' own counters are exact and leave out the harness's threads.
        long allocated = allocatedBytes.Sum();
        paused = GC.GetTotalPauseDuration() - paused;
        collections = GC.CollectionCount(0) - collections;
        long total = 0;
        foreach (long c in counts) total += c;
        (string Name, long Value)[] contended = SessionConnector.Internal.Contention.Snapshot()
            .Select((c, i) => (c.Name, c.Value - contentionBefore[i].Value)).Where(c => c.Item2 != 0).ToArray();
        return new Row(scenario, storage, threads, readShare, total, seconds, allocated) {
            Contended = contended, LoadAtStart = load, OthersCores = Math.Max(0, others), CpuSeconds = cpuNs.Sum() / 1e9, GcPauseShare = paused.TotalSeconds / seconds, Collections = collections,
        };
    }

    /// <summary>
    /// The machine's busy CPU time so far (every core's user, nice, system, irq, softirq and steal time in /proc/stat's first
    /// line, at the kernel's 100 ticks a second), or NaN where there is no /proc/stat.
    /// </summary>
    private static double MachineBusySeconds()
    {
        try
        {
            string[] f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // cpu user nice system idle iowait irq softirq steal ...
            long busy = 0;
            foreach (int i in new[] { 1, 2, 3, 6, 7, 8 }) busy += long.Parse(f[i], CultureInfo.InvariantCulture);
            return busy / 100.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }

    private sealed class StrongBox
    {
        public volatile bool Stop;
    }

    private static long Loop(SessionStorageConnector connector, string[] ids, BenchSession value, int[] stream, int writeEvery, TimeSpan duration, StrongBox? stop, bool blindSet)
    {
        long ops = 0;
        long deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        int i = 0;
        while (true)
        {
            // Check the clock / flag every 64 operations.
            for (int k = 0; k < 64; k++, i++)
            {
                string id = ids[stream[i & (StreamLength - 1)]];
                if (blindSet && i % writeEvery == 0)
                {
                    connector.Set(id, value, TimeSpan.FromHours(1));
                }
                else if (i % writeEvery == 0)
                {
                    if (!connector.Update<BenchSession>(id, static s => s.TenantId++)) throw new InvalidOperationException("A populated session was missing.");
                }
                else if (connector.Get<BenchSession>(id) is null) throw new InvalidOperationException("A populated session was missing.");
            }

            ops += 64;
            if (stop is not null ? stop.Stop : Stopwatch.GetTimestamp() > deadline) return ops;
        }
    }
}
