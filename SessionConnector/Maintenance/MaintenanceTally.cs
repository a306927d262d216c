using System.Collections.Generic;
using System.Threading;

namespace SessionConnector.Maintenance;

/// <summary>Counters of one pass, updated from the parallel workers of a batch.</summary>
internal sealed class MaintenanceTally
{
    // Interlocked: the records of a batch are processed concurrently.
    private readonly long[] _failures = new long[(int)RecordFailure.VersionExhausted + 1];
    private long _scanned, _changed, _skipped, _conflicts;

    public long Scanned => Volatile.Read(ref _scanned);

    public long Changed => Volatile.Read(ref _changed);

    public void AddScanned(int count) => Interlocked.Add(ref _scanned, count);

    public void Change() => Interlocked.Increment(ref _changed);

    public void Skip() => Interlocked.Increment(ref _skipped);

    public void Conflict() => Interlocked.Increment(ref _conflicts);

    public void Fail(RecordFailure failure) => Interlocked.Increment(ref _failures[(int)failure]);

    public MaintenanceResult ToResult(bool dryRun)
    {
        var failures = new Dictionary<RecordFailure, long>();
        for (int i = 1; i < _failures.Length; i++)
        {
            if (_failures[i] != 0) failures[(RecordFailure)i] = _failures[i];
        }

        return new MaintenanceResult(_scanned, _changed, _skipped, _conflicts, failures, dryRun);
    }
}
