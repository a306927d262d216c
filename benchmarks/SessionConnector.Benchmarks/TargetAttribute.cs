using System;
using System.Globalization;

namespace SessionConnector.Benchmarks;

/// <summary>
/// A goal declared next to the benchmark it judges, read by <see cref="TargetColumn"/> and the RESULTS.md writer.
/// <c>[Target("≤ 1.3×")]</c>: median time at most 1.3× the group's baseline (or the benchmark named by
/// <see cref="Versus"/>, in the same class and parameters). <c>[Target("0 B")]</c>: allocates nothing per operation.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class TargetAttribute : Attribute
{
    public TargetAttribute(string goal)
    {
        Goal = goal;
        string text = goal.Trim();
        if (text == "0 B")
        {
            ZeroAllocation = true;
        }
        else if (text.StartsWith('≤') && text.EndsWith('×')
            && double.TryParse(text[1..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double ratio) && ratio > 0)
        {
            MaxRatio = ratio;
        }
        else
        {
            // Thrown while the suite reads its targets, before anything runs.
            throw new FormatException($"Target goal '{goal}' is neither '≤ N×' nor '0 B'.");
        }
    }

    /// <summary>The goal as written, e.g. "≤ 1.3×" or "0 B".</summary>
    public string Goal { get; }

    /// <summary>The reference benchmark (use <c>nameof</c>); null means the baseline of the subject's group.</summary>
    public string? Versus { get; set; }

    /// <summary>What the goal means for a reader, shown after it (e.g. "throughput ≥ ConcurrentLru").</summary>
    public string? Note { get; set; }

    /// <summary>The largest allowed median(subject) / median(reference); 0 for an allocation goal.</summary>
    public double MaxRatio { get; }

    /// <summary>True for "0 B": the subject allocates nothing per operation.</summary>
    public bool ZeroAllocation { get; }
}
