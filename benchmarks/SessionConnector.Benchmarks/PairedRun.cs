using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Cross-check for a shared, noisy machine: the two benchmarks of every time-ratio <see cref="TargetAttribute"/> run
/// in alternating batches (A B, B A, A B …), so both see the same background load, and the ratio is the median of the
/// per-round ratios. BenchmarkDotNet runs contenders minutes apart, which on a busy box can move a ratio by 2× or more;
/// this cannot. Pairs come from the same attributes as the verdicts, at each class's first [Params] values.
/// </summary>
internal static class PairedRun
{
    public sealed record Row(string Type, string Reference, string Subject, int Rounds, int Batch, double ReferenceMedianNs, double SubjectMedianNs, double MedianRatio, double CpuMedianRatio = double.NaN, double QuietRatio = double.NaN);

    public static List<Row> Run(bool quick, IEnumerable<Type> types)
    {
        int rounds = quick ? 41 : 101;
        var rows = new List<Row>();
        foreach (Type type in types)
        {
            List<DeclaredTarget> pairs = Targets.Declared(type).Where(t => !t.Goal.ZeroAllocation).DistinctBy(t => (t.Subject, t.Reference)).ToList();
            if (pairs.Count == 0) continue;
            object instance = Activator.CreateInstance(type)!;
            foreach ((string name, object? value) in Targets.FirstParameters(type)) type.GetProperty(name)!.SetValue(instance, value);
            InvokeMarked<GlobalSetupAttribute>(instance);
            try
            {
                foreach (DeclaredTarget t in pairs)
                {
                    Row row = Pair(type.Name, t.Reference.Name, Bind(instance, t.Reference), t.Subject.Name, Bind(instance, t.Subject), rounds, OperationsPerInvoke(t.Subject), quick);
                    Console.WriteLine($"paired     {row.Type,-22} {row.Subject,-32} / {row.Reference,-30} {row.MedianRatio,6:F2}x  ({row.SubjectMedianNs:F0} ns vs {row.ReferenceMedianNs:F0} ns; thread CPU time {row.CpuMedianRatio:F2}x; quiet batches {row.QuietRatio:F2}x)");
                    rows.Add(row);
                }
            }
            finally
            {
                InvokeMarked<GlobalCleanupAttribute>(instance);
            }
        }

        return rows;
    }

    private static void InvokeMarked<TAttribute>(object instance) where TAttribute : Attribute
    {
        foreach (MethodInfo m in instance.GetType().GetMethods().Where(m => m.IsDefined(typeof(TAttribute)))) m.Invoke(instance, null);
    }

    private static int OperationsPerInvoke(MethodInfo benchmark) => benchmark.GetCustomAttribute<BenchmarkAttribute>()!.OperationsPerInvoke;

    /// <summary>A direct delegate to the benchmark (no reflection per call); a returned task is awaited synchronously.</summary>
    private static Action Bind(object instance, MethodInfo method)
    {
        Type result = method.ReturnType;
        if (result == typeof(void)) return method.CreateDelegate<Action>(instance);
        if (typeof(Task).IsAssignableFrom(result))
        {
            var task = method.CreateDelegate<Func<Task>>(instance);
            return () => task().GetAwaiter().GetResult();
        }

        if (!result.IsValueType)
        {
            var call = method.CreateDelegate<Func<object?>>(instance);
            return () => GC.KeepAlive(call());
        }

        return (Action)typeof(PairedRun).GetMethod(nameof(BindValue), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(result).Invoke(null, [instance, method])!;
    }

    private static Action BindValue<TResult>(object instance, MethodInfo method)
    {
        var call = method.CreateDelegate<Func<TResult>>(instance);
        return () => Sink<TResult>.Last = call();
    }

    private static class Sink<T>
    {
        public static T? Last;
    }

    private static Row Pair(string type, string referenceName, Action reference, string subjectName, Action subject, int rounds, int operationsPerCall, bool quick)
    {
        // Warm both for a while (tiered JIT promotes hot methods after ~100 ms), then size the batch so one batch
        // takes about 5 ms, and alternate the order every round.
        int batch = 1;
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
        var cpuRatios = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            double referenceCpu, subjectCpu;
            if (r % 2 == 0)
            {
                referenceNs[r] = Time(reference, batch, out referenceCpu);
                subjectNs[r] = Time(subject, batch, out subjectCpu);
            }
            else
            {
                subjectNs[r] = Time(subject, batch, out subjectCpu);
                referenceNs[r] = Time(reference, batch, out referenceCpu);
            }

            ratios[r] = subjectNs[r] / referenceNs[r];
            cpuRatios[r] = subjectCpu / referenceCpu;
        }

        double perOp = (double)batch * operationsPerCall;
        return new Row(type, referenceName, subjectName, rounds, batch, Median(referenceNs) / perOp, Median(subjectNs) / perOp, Median(ratios), Median(cpuRatios),
            QuietRatio(reference, subject, referenceCall, subjectCall, quick ? 3000 : 10000));
    }

    /// <summary>
    /// Many short alternating batches (~0.1 ms, shorter than a scheduler slice), compared at their 5th percentile: the
    /// batches no other process interrupted. On a machine loaded far past its cores this is the steadiest ratio, as long as
    /// both contenders are CPU-bound (a contender that waits on I/O has no undisturbed batches to find).
    /// </summary>
    private static double QuietRatio(Action reference, Action subject, double referenceCall, double subjectCall, int rounds)
    {
        int batch = Math.Max(1, (int)(1e5 / Math.Max(1, Math.Max(referenceCall, subjectCall))));
        // Warm up by CPU time, not wall time: under load a wall-clock warm-up may end before the tiered JIT has
        // finished optimising the contender with more code, and that contender's batches would then lose unfairly.
        double warmUntil = ThreadCpuNs() + 300e6;
        while (ThreadCpuNs() < warmUntil)
        {
            Time(reference, batch);
            Time(subject, batch);
        }

        var referenceNs = new double[rounds];
        var subjectNs = new double[rounds];
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
        }

        return Percentile(subjectNs, 0.05) / Percentile(referenceNs, 0.05);
    }

    private static double Percentile(double[] values, double p)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        return sorted[(int)(p * (sorted.Length - 1))];
    }

    private static double Time(Action action, int batch) => Time(action, batch, out _);

    /// <summary>Wall time of one batch; <paramref name="cpuNs"/> is the thread's CPU time over it (NaN off Linux).</summary>
    private static double Time(Action action, int batch, out double cpuNs)
    {
        double cpuStart = ThreadCpuNs();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < batch; i++) action();
        double wall = (Stopwatch.GetTimestamp() - start) * (1e9 / Stopwatch.Frequency);
        cpuNs = ThreadCpuNs() - cpuStart;
        return wall;
    }

    // The thread's CPU time leaves out the time other processes held the core, which on a loaded machine is most of a
    // batch's wall time; cache and frequency effects of the neighbours still show, so it narrows the noise, not removes it.
    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID

    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    internal static double ThreadCpuNs() =>
        OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTime, out Timespec t) == 0 ? t.Seconds * 1e9 + t.Nanoseconds : double.NaN;

    // Rounds are odd (41, 101), so this is the middle value.
    private static double Median(double[] values) => Percentile(values, 0.5);
}
