using System;
using System.Threading;
using SessionConnector.Storage;

namespace SessionConnector;

// The version clock: the per-record versions behind every compare-and-set and every cache comparison.
public sealed partial class SessionStorageConnector
{
    /// <summary>
    /// The largest version a record may carry. Honest versions are ticks (about 6.4e17 today) plus at most 2^32 and a
    /// count of writes, so they stay below this until the year 14,000; a record above it was not written by a connector,
    /// is refused, and never enters the version arithmetic, which therefore cannot overflow.
    /// </summary>
    internal const long MaxRecordVersion = long.MaxValue / 2;

    // The last version this process issued: versions are unique within a process outright.
    private static long s_lastVersion;

    internal static bool IsPlausibleVersion(long version) => version > 0 && version <= MaxRecordVersion;

    /// <summary>
    /// A record's next version (also used for cache deletion markers). It is greater than every version this process
    /// issued before, so within a process "higher" means "issued later"; greater than the one it replaces (versions of one
    /// session only grow, so the cache can tell newer from older) and at least the current time in ticks. A session created
    /// afresh (after a delete, say) also gets up to 2^32 random ticks on top, so it cannot repeat a version of its deleted
    /// predecessor that a slow writer still holds — not even in another process whose clock reads the same — and within
    /// this process no version is ever issued twice. A <paramref name="previous"/> that no connector could have written
    /// (above <see cref="MaxRecordVersion"/>) counts as absent, so a planted record cannot drive the clock to overflow.
    /// </summary>
    private long NextVersion(long previous) => NextVersion(previous, NowTicks);

    /// <summary>
    /// <see cref="NextVersion(long)"/> with the clock already read by the caller: a Set reads it once, for its expiry and
    /// its version. A reading taken a moment earlier only lowers the time floor; every other guarantee comes from
    /// <paramref name="previous"/> and the process-wide last version.
    /// </summary>
    private static long NextVersion(long previous, long nowTicks)
    {
        if (previous > MaxRecordVersion) previous = SessionStorage.Absent;
        long floor = Math.Max(previous + 1, Math.Max(nowTicks, 1));
        if (previous == SessionStorage.Absent) floor += Random.Shared.NextInt64(1, 1L << 32);
        while (true)
        {
            long last = Volatile.Read(ref s_lastVersion);
            long next = Math.Max(floor, last + 1);
            // CAS loop: concurrent writers in this process must each get a distinct version.
            if (Interlocked.CompareExchange(ref s_lastVersion, next, last) == last) return next;
        }
    }
}
