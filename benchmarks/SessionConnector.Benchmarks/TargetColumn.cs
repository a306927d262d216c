using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SessionConnector.Benchmarks;

/// <summary>
/// The "Target" column of every summary table: each <see cref="TargetAttribute"/> of the row's benchmark, the
/// measured value and the verdict. Time ratios are of medians (they resist a shared machine's outliers better than
/// BenchmarkDotNet's mean-based Ratio column next to it).
/// </summary>
internal sealed class TargetColumn : IColumn
{
    public static readonly TargetColumn Default = new();

    public string Id => nameof(TargetColumn);

    public string ColumnName => "Target";

    // Hidden in tables of classes that declare no target (IsDefault is true for every row there).
    public bool AlwaysShow => false;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => false;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Goal declared with [Target] next to the benchmark: measured (ratio of medians, or bytes per operation) and verdict";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        // A failed benchmark has no figures; the suite reports that itself (TargetException) after printing the table.
        if (summary[benchmarkCase]?.ResultStatistics is null) return "?";
        try
        {
            return string.Join("; ", Targets.Judge(summary, benchmarkCase).Select(v => v.Cell));
        }
        catch (TargetException e)
        {
            return "cannot judge: " + e.Message;
        }
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) =>
        !Targets.Declared(benchmarkCase.Descriptor.Type).Any(t => t.Subject == benchmarkCase.Descriptor.WorkloadMethod);

    public bool IsAvailable(Summary summary) => true;
}
