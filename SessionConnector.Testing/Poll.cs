using System;
using System.Diagnostics;
using System.Threading;

namespace SessionConnector.Testing;

/// <summary>Waiting for what another node or a server does in its own time (an invalidation, a failover).</summary>
public static class Poll
{
    /// <summary>
    /// Returns once <paramref name="condition"/> holds or <paramref name="timeout"/> has passed, whichever comes first; the
    /// caller asserts afterwards, so a timeout fails with the assertion's message rather than this helper's.
    /// </summary>
    public static void Until(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < timeout) Thread.Sleep(5);
    }
}
