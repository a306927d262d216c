namespace SessionConnector.Maintenance;

/// <summary>Running totals of a maintenance pass, reported after every batch.</summary>
/// <param name="Scanned">Records looked at so far.</param>
/// <param name="Changed">Records rewritten or deleted so far (or that would be, in a dry run).</param>
public readonly record struct MaintenanceProgress(long Scanned, long Changed);
