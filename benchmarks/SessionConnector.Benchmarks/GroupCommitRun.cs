using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Group-commit mode (<c>--group-commit</c>, issue 27): durable (<see cref="FileDurability.PowerLoss"/>) compare-and-set
/// writes per second of the file store with its group commit against the same store with one fsync pair per write (the
/// path before group commit), at 1 and 16 writer threads in one process and 4 processes × 4 threads on one directory.
/// Both contenders run in every round, in alternating order, so they share the machine's load; the verdict is the median
/// of the per-round ratios. The 1-writer rows also give the single-writer latency (median of each run's median write).
/// </summary>
internal static class GroupCommitRun
{
    private const int ValueSize = 330; // the typical session's envelope, as FileWriteBenchmarks

    public static void Run(bool quick)
    {
        int rounds = quick ? 5 : 11;
        TimeSpan duration = TimeSpan.FromMilliseconds(quick ? 1500 : 3000);
        string root = Shared.ScratchDirectory("group-commit");
        try
        {
            // Threads block in a sync write as a console or game server does; async writers share the thread pool as a web
            // app's requests do (there a write blocked in fsync holds a pool thread, of which a small machine has few).
            foreach ((string label, int processes, int threads, bool async) in new[]
            {
                ("1 writer", 1, 1, false), ("16 threads", 1, 16, false), ("16 async", 1, 16, true), ("4 processes x 4", 4, 4, false),
            })
            {
                var legacy = new List<Sample>();
                var grouped = new List<Sample>();
                for (int r = 0; r < rounds; r++)
                {
                    // A B, B A, …: both see the same background load.
                    foreach (bool group in r % 2 == 0 ? new[] { false, true } : new[] { true, false })
                    {
                        string dir = Path.Combine(root, group ? "grouped" : "legacy");
                        Sample s = processes == 1 ? Measure(dir, group, threads, async, duration, keyOffset: 0) : MeasureProcesses(dir, group, processes, threads, duration);
                        (group ? grouped : legacy).Add(s);
                    }
                }

                double[] ratios = legacy.Zip(grouped, (a, b) => b.PerSecond / a.PerSecond).ToArray();
                double[] latency = legacy.Zip(grouped, (a, b) => b.MedianMicroseconds / a.MedianMicroseconds).ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"group-commit {label,-16} one-fsync-per-write {Median(legacy.Select(s => s.PerSecond)),8:F0} writes/s   group commit {Median(grouped.Select(s => s.PerSecond)),8:F0} writes/s   ratio {Median(ratios):F2}x (rounds {string.Join(" ", ratios.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))})"));
                if (processes == 1)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"group-commit {label,-16} median write latency {Median(legacy.Select(s => s.MedianMicroseconds)),8:F0} us vs {Median(grouped.Select(s => s.MedianMicroseconds)),8:F0} us   paired ratio {Median(latency):F2}x   avg batch {Median(grouped.Select(s => s.BatchSize)):F1}"));
                }
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The child of a multi-process run: <c>--group-commit-child DIR 0|1 THREADS MS OFFSET</c>; prints its write count.</summary>
    public static int Child(string[] args)
    {
        int i = Array.IndexOf(args, "--group-commit-child");
        Sample s = Measure(args[i + 1], args[i + 2] == "1", int.Parse(args[i + 3], CultureInfo.InvariantCulture), async: false,
            TimeSpan.FromMilliseconds(int.Parse(args[i + 4], CultureInfo.InvariantCulture)), int.Parse(args[i + 5], CultureInfo.InvariantCulture));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Writes} {s.Seconds:R}"));
        return 0;
    }

    private readonly record struct Sample(long Writes, double Seconds, double MedianMicroseconds, double BatchSize)
    {
        public double PerSecond => Writes / Seconds;
    }

    private static Sample MeasureProcesses(string dir, bool group, int processes, int threads, TimeSpan duration)
    {
        string self = typeof(GroupCommitRun).Assembly.Location;
        var children = new List<Process>();
        for (int p = 0; p < processes; p++)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string a in new[] { self, "--group-commit-child", dir, group ? "1" : "0", threads.ToString(CultureInfo.InvariantCulture), ((int)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), (p * threads).ToString(CultureInfo.InvariantCulture) })
            {
                info.ArgumentList.Add(a);
            }

            children.Add(Process.Start(info)!);
        }

        long writes = 0;
        double seconds = 0;
        foreach (Process child in children)
        {
            string[] parts = child.StandardOutput.ReadToEnd().Trim().Split(' ');
            child.WaitForExit();
            if (child.ExitCode != 0 || parts.Length != 2) throw new InvalidOperationException("A group-commit child failed.");
            writes += long.Parse(parts[0], CultureInfo.InvariantCulture);
            seconds = Math.Max(seconds, double.Parse(parts[1], CultureInfo.InvariantCulture));
            child.Dispose();
        }

        // The children start a few hundred ms apart; each measures its own window, so the sum of rates is the rate.
        return new Sample(writes, seconds, double.NaN, double.NaN);
    }

    private static Sample Measure(string dir, bool group, int threads, bool async, TimeSpan duration, int keyOffset)
    {
        using var store = new FileSessionStorage(dir, new FileSessionStorageOptions { Durability = FileDurability.PowerLoss, SweepInterval = TimeSpan.Zero }, FileOperations.Default, group);
        string[] keys = Shared.SessionIds(keyOffset + threads, seed: 27).Skip(keyOffset).ToArray();
        byte[] value = new byte[ValueSize];
        new Random(5).NextBytes(value);
        (long Batches, long Writes) before = store.GroupCommitCounts;
        var counts = new long[threads];
        var medians = new double[threads];
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long deadline = 0;
        var workers = new Thread[async ? 0 : threads];
        var tasks = new Task[async ? threads : 0];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            if (async) tasks[t] = Task.Run(() => WriteLoopAsync(index));
            else (workers[t] = new Thread(() => WriteLoopAsync(index).GetAwaiter().GetResult())).Start();
        }

        async Task WriteLoopAsync(int index)
        {
            string key = keys[index];
            // Compare-and-set from the version on disk, as the connector does.
            long version = store.Read(key)?.Version ?? SessionStorage.Absent;
            var latencies = new List<double>();
            if (async) await start.Task.ConfigureAwait(false);
            else start.Task.Wait();
            while (Stopwatch.GetTimestamp() < Volatile.Read(ref deadline))
            {
                long t0 = Stopwatch.GetTimestamp();
                bool written = async ? await store.TryWriteAsync(key, value, null, version, version + 1).ConfigureAwait(false) : store.TryWrite(key, value, null, version, version + 1);
                if (!written) throw new InvalidOperationException("A private key's compare-and-set failed.");
                latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                version++;
            }

            counts[index] = latencies.Count;
            medians[index] = latencies.Count == 0 ? double.NaN : Median(latencies);
        }

        if (async) Thread.Sleep(50); // every writer has read its version and awaits the start
        long t0 = Stopwatch.GetTimestamp();
        Volatile.Write(ref deadline, t0 + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        start.SetResult();
        foreach (Thread w in workers) w.Join();
        Task.WaitAll(tasks);
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        (long Batches, long Writes) after = store.GroupCommitCounts;
        double batch = after.Batches == before.Batches ? 1 : (double)(after.Writes - before.Writes) / (after.Batches - before.Batches);
        return new Sample(counts.Sum(), seconds, Median(medians), batch);
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
