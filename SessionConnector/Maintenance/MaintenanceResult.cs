using System.Collections.Generic;

namespace SessionConnector.Maintenance;

/// <summary>What a maintenance pass did.</summary>
public sealed class MaintenanceResult
{
    internal MaintenanceResult(long scanned, long changed, long skipped, long conflicts, IReadOnlyDictionary<RecordFailure, long> failures, bool dryRun)
    {
        Scanned = scanned;
        Changed = changed;
        Skipped = skipped;
        Conflicts = conflicts;
        Failures = failures;
        DryRun = dryRun;
    }

    /// <summary>Records looked at. A backend whose scan can repeat keys (Redis) may count a record twice.</summary>
    public long Scanned { get; }

    /// <summary>Records re-sealed or deleted (in a dry run: that would have been).</summary>
    public long Changed { get; }

    /// <summary>Records left alone because nothing had to be done (already under the primary key, not expired, valid, …).</summary>
    public long Skipped { get; }

    /// <summary>
    /// Records an application wrote or deleted while the pass was working on them. The application's write always wins;
    /// a rotation re-reads such a record and re-seals what the application wrote if that is still under an old key.
    /// </summary>
    public long Conflicts { get; }

    /// <summary>Records that do not open, by reason (empty when every record opened or the pass did not open records).</summary>
    public IReadOnlyDictionary<RecordFailure, long> Failures { get; }

    /// <summary>True when nothing was written or deleted.</summary>
    public bool DryRun { get; }
}
