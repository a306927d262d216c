using System;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading;

namespace WebApi;

/// <summary>
/// Start-up steps for scripts/bench-web.sh --phases: with WEBAPI_PHASES=1 the sample notes when each step of its start and
/// of its first request ended, and prints "phases-ms step=ms …" (each step's time since the previous one) when that
/// request completes. WEBAPI_LAUNCH_NS is the harness's clock (Unix ns) just before it started the process, so the first
/// step is the runtime's own start. Off (the default) it costs one environment read.
/// </summary>
internal static class StartupPhases
{
    private static readonly long s_launchNs =
        long.TryParse(Environment.GetEnvironmentVariable("WEBAPI_LAUNCH_NS"), NumberStyles.None, CultureInfo.InvariantCulture, out long ns) ? ns : 0;

    private static readonly long s_mainNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
    private static readonly long s_mainTimestamp = Stopwatch.GetTimestamp();
    private static readonly StringBuilder s_line = new("phases-ms");
    private static long s_last = s_mainTimestamp;
    private static int s_printed;

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("WEBAPI_PHASES") == "1";

    /// <summary>Notes the runtime's start (launch to Main); call first thing in Main.</summary>
    public static void Start()
    {
        if (!Enabled) return;
        Append("main", s_launchNs == 0 ? 0 : (s_mainNs - s_launchNs) / 1e6);
    }

    /// <summary>Notes that <paramref name="step"/> ended now.</summary>
    public static void Mark(string step)
    {
        if (!Enabled || Volatile.Read(ref s_printed) != 0) return;
        lock (s_line)
        {
            long now = Stopwatch.GetTimestamp();
            Append(step, Stopwatch.GetElapsedTime(s_last, now).TotalMilliseconds);
            s_last = now;
        }
    }

    /// <summary>Prints the steps once (the first request's completion).</summary>
    public static void Print()
    {
        if (!Enabled || Interlocked.Exchange(ref s_printed, 1) != 0) return;
        lock (s_line) Console.WriteLine(s_line.ToString());
    }

    private static void Append(string step, double ms) =>
        s_line.Append(CultureInfo.InvariantCulture, $" {step}={ms:F3}");
}
