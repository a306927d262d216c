using System;
using System.Threading;
using SessionConnector.Storage;

namespace SessionConnector.Records;

/// <summary>
/// The version rule and the one process-wide version clock: the per-record versions behind every compare-and-set and
/// every cache comparison, issued here for the connector and store maintenance alike.
/// </summary>
internal static class RecordVersions
{
    /// <summary>
    /// The largest version a record may carry. Honest versions are ticks (about 6.4e17 today) plus at most 2^32 and a
    /// count of writes, so they stay below this until the year 14,000; a record above it was not written by a connector,
    /// is refused, and never enters the version arithmetic, which therefore cannot overflow.
    /// </summary>
    public const long Max = long.MaxValue / 2;

    // The last version this process issued: versions are unique within a process outright.
    private static long s_last;

    /// <summary>The last version this process issued (0 before the first).</summary>
    public static long LastIssued => Volatile.Read(ref s_last);

    /// <summary>Whether a connector could have written <paramref name="version"/>; a record with any other is refused.</summary>
    public static bool IsPlausible(long version) => version > 0 && version <= Max;

    /// <summary>
    /// A record's next version (also used for cache deletion markers). It is greater than every version this process
    /// issued before, so within a process "higher" means "issued later"; greater than the one it replaces (versions of one
    /// session only grow, so the cache can tell newer from older) and at least <paramref name="nowTicks"/>. A session
    /// created afresh (<paramref name="previous"/> is <see cref="SessionStorage.Absent"/>, after a delete, say) also gets
    /// up to 2^32 random ticks on top, so it cannot repeat a version of its deleted predecessor that a slow writer still
    /// holds — not even in another process whose clock reads the same — and within this process no version is ever issued
    /// twice. A <paramref name="previous"/> that no connector could have written (above <see cref="Max"/>) counts as
    /// absent, so a planted record cannot drive the clock to overflow. A clock reading taken a moment earlier only lowers
    /// the time floor; every other guarantee comes from <paramref name="previous"/> and the process-wide last version.
    /// </summary>
    public static long Next(long previous, long nowTicks)
    {
        if (previous > Max) previous = SessionStorage.Absent;
        long floor = Math.Max(previous + 1, Math.Max(nowTicks, 1));
        if (previous == SessionStorage.Absent) floor += Random.Shared.NextInt64(1, 1L << 32);
        while (true)
        {
            long last = Volatile.Read(ref s_last);
            long next = Math.Max(floor, last + 1);
            // CAS loop: concurrent writers in this process must each get a distinct version.
            if (Interlocked.CompareExchange(ref s_last, next, last) == last) return next;
        }
    }
}
