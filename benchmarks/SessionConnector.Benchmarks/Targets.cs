using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Mathematics;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SessionConnector.Benchmarks;

/// <summary>One <see cref="TargetAttribute"/> with its subject and resolved reference benchmark.</summary>
internal sealed record DeclaredTarget(Type Type, MethodInfo Subject, MethodInfo Reference, TargetAttribute Goal)
{
    public string Label => Goal.ZeroAllocation
        ? $"{Subject.Name} allocates 0 B per operation"
        : $"{Subject.Name} {Goal.Goal} {Reference.Name}" + (Goal.Note is null ? "" : $" ({Goal.Note})");
}

/// <summary>A target judged on one benchmark case (one parameter set).</summary>
internal sealed record Verdict(DeclaredTarget Target, BenchmarkCase Case, string Measured, bool Met)
{
    public string Cell => $"{(Target.Goal.ZeroAllocation ? "0 B" : Target.Goal.Goal + " " + Target.Reference.Name)}: {Measured} {(Met ? "met" : "MISSED")}";
}

/// <summary>
/// Reads the targets declared on benchmark methods and judges them on BenchmarkDotNet's summaries. Anything a target
/// needs and cannot find (a reference that is not a benchmark, a benchmark that failed or did not run) is a
/// <see cref="TargetException"/>: the suite exits non-zero instead of reporting "not measured".
/// </summary>
internal static class Targets
{
    /// <summary>Every class in this assembly with [Benchmark] methods, so a new or renamed class cannot drop out of the suite.</summary>
    public static List<Type> BenchmarkTypes() =>
        typeof(Targets).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && BenchmarkMethods(t).Length > 0)
            .OrderBy(t => t.GetCustomAttribute<ComparisonAttribute>()?.Title ?? t.Name, StringComparer.Ordinal)
            .ToList();

    public static MethodInfo[] BenchmarkMethods(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.IsDefined(typeof(BenchmarkAttribute))).ToArray();

    /// <summary>The targets declared in <paramref name="type"/>, references resolved; throws on a target that cannot be judged.</summary>
    public static List<DeclaredTarget> Declared(Type type)
    {
        var list = new List<DeclaredTarget>();
        MethodInfo[] benchmarks = BenchmarkMethods(type);
        foreach (MethodInfo subject in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance))
        {
            TargetAttribute[] goals;
            try
            {
                goals = subject.GetCustomAttributes<TargetAttribute>().ToArray();
            }
            catch (FormatException e)
            {
                throw new TargetException($"{type.Name}.{subject.Name}: {e.Message}");
            }

            if (goals.Length == 0) continue;
            if (!benchmarks.Contains(subject)) throw new TargetException($"{type.Name}.{subject.Name} has a [Target] but is not a [Benchmark].");
            foreach (TargetAttribute goal in goals) list.Add(new DeclaredTarget(type, subject, Reference(type, subject, goal, benchmarks), goal));
        }

        return list;
    }

    private static MethodInfo Reference(Type type, MethodInfo subject, TargetAttribute goal, MethodInfo[] benchmarks)
    {
        if (goal.ZeroAllocation) return subject;
        if (goal.Versus is { } name)
        {
            return benchmarks.FirstOrDefault(m => m.Name == name)
                ?? throw new TargetException($"{type.Name}.{subject.Name}: target '{goal.Goal}' names '{name}', which is not a [Benchmark] of {type.Name}.");
        }

        // The baseline of the subject's group: the baseline that shares a method-level category, else the only one.
        string[] categories = Categories(subject);
        MethodInfo[] baselines = benchmarks.Where(m => m.GetCustomAttribute<BenchmarkAttribute>()!.Baseline).ToArray();
        MethodInfo[] sameGroup = baselines.Where(b => Categories(b).Intersect(categories).Any()).ToArray();
        MethodInfo[] candidates = sameGroup.Length > 0 ? sameGroup : baselines;
        return candidates.Length == 1
            ? candidates[0]
            : throw new TargetException($"{type.Name}.{subject.Name}: target '{goal.Goal}' has no Versus and {candidates.Length} candidate baselines.");
    }

    private static string[] Categories(MethodInfo method) =>
        method.GetCustomAttributes<BenchmarkCategoryAttribute>().SelectMany(a => a.Categories).ToArray();

    /// <summary>The verdicts for one case (empty when it declares no target).</summary>
    public static IEnumerable<Verdict> Judge(Summary summary, BenchmarkCase subject)
    {
        foreach (DeclaredTarget target in Declared(subject.Descriptor.Type).Where(t => t.Subject == subject.Descriptor.WorkloadMethod))
        {
            Statistics subjectStats = StatisticsOf(summary, subject);
            if (target.Goal.ZeroAllocation)
            {
                long? bytes = summary[subject]?.GcStats.GetBytesAllocatedPerOperation(subject)
                    ?? throw new TargetException($"{target.Label}{At(subject)}: no allocation figure (is the MemoryDiagnoser on?).");
                yield return new Verdict(target, subject, $"{bytes} B", bytes == 0);
                continue;
            }

            BenchmarkCase reference = summary.BenchmarksCases.FirstOrDefault(c =>
                    c.Descriptor.WorkloadMethod == target.Reference
                    && c.Parameters.DisplayInfo == subject.Parameters.DisplayInfo
                    && c.Job.DisplayInfo == subject.Job.DisplayInfo)
                ?? throw new TargetException($"{target.Label}{At(subject)}: the reference {target.Reference.Name} was not run.");
            double ratio = subjectStats.Median / StatisticsOf(summary, reference).Median;
            yield return new Verdict(target, subject, ratio.ToString("F2", CultureInfo.InvariantCulture) + "×", ratio <= target.Goal.MaxRatio);
        }
    }

    /// <summary>Every verdict of a summary; throws when a benchmark of it failed or a target cannot be judged.</summary>
    public static List<Verdict> JudgeAll(Summary summary)
    {
        foreach (BenchmarkCase c in summary.BenchmarksCases) StatisticsOf(summary, c);
        return summary.BenchmarksCases.SelectMany(c => Judge(summary, c)).ToList();
    }

    private static Statistics StatisticsOf(Summary summary, BenchmarkCase c) =>
        summary[c]?.ResultStatistics
        ?? throw new TargetException($"{c.Descriptor.Type.Name}.{c.Descriptor.WorkloadMethod.Name}{At(c)} has no result: it failed or did not run (see the log above).");

    /// <summary>" [Threads=1]" for a case with parameters (DisplayInfo carries the brackets), else "".</summary>
    public static string At(BenchmarkCase c) => c.Parameters.DisplayInfo.Length > 0 ? " " + c.Parameters.DisplayInfo : "";

    /// <summary>True when every parameter of the case has the first value its [Params] lists (the paired check runs those).</summary>
    public static bool HasFirstParameters(BenchmarkCase c) =>
        c.Parameters.Items.All(p => Equals(FirstParameters(c.Descriptor.Type).GetValueOrDefault(p.Name), p.Value));

    /// <summary>The first value of each [Params] property of <paramref name="type"/>.</summary>
    public static Dictionary<string, object?> FirstParameters(Type type) =>
        type.GetProperties()
            .Select(p => (p.Name, Params: p.GetCustomAttribute<ParamsAttribute>()))
            .Where(p => p.Params is { Values.Length: > 0 })
            .ToDictionary(p => p.Name, p => p.Params!.Values[0]);
}

/// <summary>A target that cannot be judged: the suite stops with this message and a non-zero exit code.</summary>
internal sealed class TargetException(string message) : Exception(message);
