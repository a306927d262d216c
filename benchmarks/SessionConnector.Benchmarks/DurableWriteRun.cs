using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Storage;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Durable-write mode (<c>--durable-writes</c>, issue 27): compare-and-set writes per second of the file store with
/// <see cref="FileDurability.PowerLoss"/> (each write fsyncs its record and the directory) at 1 writer, 16 writer threads,
/// 16 async writers on the thread pool, and 4 processes × 4 threads on one directory, with each run's median write latency.
/// The scaling over 1 writer shows how much of a group commit the kernel already does: concurrent fsyncs join one journal
/// commit (ext4, XFS), so a user-space batch has to beat that, not 16 × the single-writer rate. Rounds repeat every
/// configuration in turn so they share the machine's load; figures are medians over rounds.
/// </summary>
internal static class DurableWriteRun
{
    private const int ValueSize = 330; // the typical session's envelope, as FileWriteBenchmarks

    public static void Run(bool quick)
    {
        int rounds = quick ? 5 : 11;
        TimeSpan duration = TimeSpan.FromMilliseconds(quick ? 1500 : 3000);
        string root = Shared.ScratchDirectory("durable-writes");
        try
        {
            // Threads block in a sync write as a console or game server does; async writers share the thread pool as a web
            // app's requests do (there a write blocked in fsync holds a pool thread, of which a small machine has few).
            var configurations = new[]
            {
                ("1 writer", 1, 1, false), ("16 threads", 1, 16, false), ("16 async", 1, 16, true), ("4 processes x 4", 4, 4, false),
            };
            var samples = configurations.Select(_ => new List<Sample>()).ToArray();
            for (int r = 0; r < rounds; r++)
            {
                for (int c = 0; c < configurations.Length; c++)
                {
                    (_, int processes, int threads, bool async) = configurations[c];
                    string dir = Path.Combine(root, "store");
                    samples[c].Add(processes == 1 ? Measure(dir, threads, async, duration, keyOffset: 0) : MeasureProcesses(dir, processes, threads, duration));
                }
            }

            double single = Median(samples[0].Select(s => s.PerSecond));
            for (int c = 0; c < configurations.Length; c++)
            {
                double rate = Median(samples[c].Select(s => s.PerSecond));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"durable-writes {configurations[c].Item1,-16} {rate,8:F0} writes/s  {rate / single,6:F2}x 1 writer   median write {Median(samples[c].Select(s => s.MedianMicroseconds)),8:F0} us   (rounds {string.Join(" ", samples[c].Select(s => s.PerSecond.ToString("F0", CultureInfo.InvariantCulture)))})"));
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The child of a multi-process run: <c>--durable-writes-child DIR THREADS MS OFFSET</c>; prints its write count.</summary>
    public static int Child(string[] args)
    {
        int i = Array.IndexOf(args, "--durable-writes-child");
        Sample s = Measure(args[i + 1], int.Parse(args[i + 2], CultureInfo.InvariantCulture), async: false,
            TimeSpan.FromMilliseconds(int.Parse(args[i + 3], CultureInfo.InvariantCulture)), int.Parse(args[i + 4], CultureInfo.InvariantCulture));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Writes} {s.Seconds:R}"));
        return 0;
    }

    private readonly record struct Sample(long Writes, double Seconds, double MedianMicroseconds)
    {
        public double PerSecond => Writes / Seconds;
    }

    private static Sample MeasureProcesses(string dir, int processes, int threads, TimeSpan duration)
    {
        string self = typeof(DurableWriteRun).Assembly.Location;
        var children = new List<Process>();
        for (int p = 0; p < processes; p++)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string a in new[] { self, "--durable-writes-child", dir, threads.ToString(CultureInfo.InvariantCulture), ((int)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), (p * threads).ToString(CultureInfo.InvariantCulture) })
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
            if (child.ExitCode != 0 || parts.Length != 2) throw new InvalidOperationException("A durable-writes child failed.");
            writes += long.Parse(parts[0], CultureInfo.InvariantCulture);
            seconds = Math.Max(seconds, double.Parse(parts[1], CultureInfo.InvariantCulture));
            child.Dispose();
        }

        // The children start a few hundred ms apart; each measures its own window, so the sum of rates is the rate.
        return new Sample(writes, seconds, double.NaN);
    }

    private static Sample Measure(string dir, int threads, bool async, TimeSpan duration, int keyOffset)
    {
        using var store = new FileSessionStorage(dir, new FileSessionStorageOptions { Durability = FileDurability.PowerLoss, SweepInterval = TimeSpan.Zero });
        string[] keys = Shared.SessionIds(keyOffset + threads, seed: 27).Skip(keyOffset).ToArray();
        byte[] value = new byte[ValueSize];
        new Random(5).NextBytes(value);
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
        return new Sample(counts.Sum(), seconds, Median(medians));
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
