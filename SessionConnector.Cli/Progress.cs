using System;
using System.Diagnostics;
using SessionConnector.Maintenance;

namespace SessionConnector.Cli;

/// <summary>A progress line on stderr, redrawn in place, only when stderr is a terminal (never in logs or pipes).</summary>
internal sealed class Progress(string verb, bool enabled)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private bool _drawn;

    public Action<MaintenanceProgress>? Callback => enabled ? Report : null;

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);

    public void Done()
    {
        if (_drawn) Console.Error.WriteLine();
    }

    private void Report(MaintenanceProgress p)
    {
        double seconds = Math.Max(Elapsed.TotalSeconds, 1e-3);
        Console.Error.Write($"\r{verb}: {p.Scanned:N0} scanned, {p.Changed:N0} changed, {p.Scanned / seconds:N0} records/s   ");
        _drawn = true;
    }
}
