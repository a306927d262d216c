using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading;
using SessionConnector.Internal;
using SessionConnector.Storage;

namespace SessionConnector.Records;

/// <summary>
/// The version rule and the process's striped version clock: the per-record versions behind every compare-and-set and
/// every cache comparison, issued here for the connector and store maintenance alike.
/// </summary>
/// <remarks>
/// <para>Guarantees (what the compare-and-set across processes, the cache and the ABA tests rely on):</para>
/// <list type="number">
/// <item>Unique within the process: a version's low bits are the stripe that issued it (<c>version mod Stripes.Count ==
/// stripe</c>), and each stripe issues strictly increasing versions (a compare-and-swap on its own padded line), so two
/// stripes never issue the same version and one stripe never issues one twice.</item>
/// <item>Monotonic per key: a version is greater than the one it replaces (<c>previous + 1</c> at least), and greater than
/// every version its stripe issued before. Every caller passes the stripe of the storage key (<see cref="Stripes.Of"/>),
/// so every version this process issued for a key, a deletion marker included, is below every later one for that key.
/// Versions of <em>different</em> keys are no longer ordered by issue time (they were, with one shared line, but nothing
/// compares versions across keys).</item>
/// <item>At least the clock reading, so a record written after another process's write of an absent key tends to outrank it.</item>
/// <item>A key created afresh (previous absent, after a delete say) gets one of 2^32 random offsets above the clock, in
/// steps of <see cref="Stripes.Count"/> so the stripe bits do not thin them out, or, when the stripe's line is already
/// past that, one of 15 random steps above the line (never the line's next value): with the process's tag (see
/// <see cref="TagBits"/>) it cannot repeat a version of its deleted predecessor that a slow writer still holds, not even
/// in another process whose clock reads the same.</item>
/// </list>
/// <para>Why striped: with one shared line every writer of the process CASed it, a cache-line transfer per write that
/// serialises writers at 16–64 cores; writers of one key already queue on their stripe's gate, so a stripe's line is
/// written by one core at a time.</para>
/// </remarks>
internal static class RecordVersions
{
    /// <summary>
    /// The largest version a record may carry. Honest versions are ticks (about 6.4e17 today) plus a lead: at most 2^32 ×
    /// <see cref="Stripes.Count"/> (2^44 at most) from a fresh key's offset, and one tag unit (2^20 ticks) per write while
    /// a stripe's writes outpace the clock. That leaves about 2^42 such writes per stripe of a process, and per session,
    /// before this (a session written 1,000 times a second for a century); a record above it was not written by a
    /// connector, is refused, and never enters the version arithmetic, which therefore cannot overflow.
    /// </summary>
    public const long Max = long.MaxValue / 2;

    /// <summary>
    /// Bits of the per-process tag above the stripe bits: 20 bits with the stripe's (12 at 256 stripes, 8 at 4096). Why:
    /// processes hash a key to stripes with their own seeds, so two of them share its stripe 1 time in
    /// <see cref="Stripes.Count"/>; then, without a tag, both derive the next version from their lines alone (once a line
    /// is ahead of the clock, as fresh keys' random offsets make it), and one can issue for a re-created key the very
    /// version the other issued for its deleted predecessor, which a slow writer still holds: its compare-and-set then
    /// lands on the new record (a delete undone; MixedPathStressTests in long mode). With the tag that takes a stripe and a
    /// tag match, 1 in 2^20 per pair of processes at any stripe count. Cost: consecutive versions on a stripe are a tag
    /// unit (2^20 ticks, 0.1 s) apart, so a stripe written faster than ten times a second runs its versions ahead of the
    /// clock by that much per write (see <see cref="Max"/>). The unit is capped, not the tag widened with the stripe count:
    /// 12 bits at 4096 stripes made it 1.7 s a write, which a hot session would run into <see cref="Max"/> in years.
    /// </summary>
    private static readonly int TagBits = 20 - BitOperations.Log2((uint)Stripes.Count);

    private static readonly long s_tag = Random.Shared.Next(1 << TagBits);

    // The last version each stripe issued, 64 bytes apart so writers of different stripes never share a line.
    private static readonly PaddedVersion[] s_last = new PaddedVersion[Stripes.Count];

    [StructLayout(LayoutKind.Explicit, Size = 64)]
    private struct PaddedVersion
    {
        [FieldOffset(0)] public long Value;
    }

    /// <summary>The last version stripe <paramref name="stripe"/> issued (0 before the first).</summary>
    public static long LastIssued(int stripe) => Volatile.Read(ref s_last[stripe & (Stripes.Count - 1)].Value);

    /// <summary>Whether a connector could have written <paramref name="version"/>; a record with any other is refused.</summary>
    public static bool IsPlausible(long version) => version > 0 && version <= Max;

    /// <summary>
    /// A record's next version (also used for cache deletion markers), on the clock line of <paramref name="stripe"/> (the
    /// storage key's <see cref="Stripes.Of"/>): see the guarantees on the class. A <paramref name="previous"/> that no
    /// connector could have written (above <see cref="Max"/>) counts as absent, so a planted record cannot drive the clock
    /// to overflow. A clock reading taken a moment earlier only lowers the time floor; every other guarantee comes from
    /// <paramref name="previous"/> and the stripe's last version.
    /// </summary>
    public static long Next(long previous, long nowTicks, int stripe)
    {
        long mask = Stripes.Count - 1;
        stripe &= (int)mask;
        // The low bits this process's versions on the stripe carry: the stripe, then the process's tag above it.
        long unit = (long)Stripes.Count << TagBits;
        long low = (s_tag * Stripes.Count) | (long)stripe;
        if (previous > Max) previous = SessionStorage.Absent;
        long floor = Math.Max(previous + 1, Math.Max(nowTicks, 1));
        bool fresh = previous == SessionStorage.Absent;
        long step = 0;
        if (fresh)
        {
            floor += Random.Shared.NextInt64(1, 1L << 32) * Stripes.Count;
            step = Random.Shared.NextInt64(1, 16) * unit;
        }

        ref long last = ref s_last[stripe].Value;
        while (true)
        {
            long seen = Volatile.Read(ref last);
            long next = Math.Max(floor, seen + 1);
            // A fresh key whose random offset the stripe's line has already passed (fresh keys' offsets pile up on it) takes
            // a random step above the line rather than the line's next value, which is what a process sharing this tag
            // and stripe issues for its next update of the deleted predecessor (the tag makes that 1 in 4096 processes).
            // Bounded drift: under 16 units per fresh key, and only while the line is ahead of the clock and the offset.
            if (fresh && next != floor) next += step;
            // Up to the next value whose low bits are this stripe and this process's tag: uniqueness across stripes is
            // structural, and another process issues the same version only if its tag (and its hash's stripe) match.
            next += (low - next) & (unit - 1);
            // CAS: maintenance, principal records and a second connector over the same key may share the stripe's line
            // outside its gate; each must still get a distinct, higher version.
            if (Interlocked.CompareExchange(ref last, next, seen) == seen) return next;
            Internal.Contention.Count(ref Internal.Contention.VersionClock);
        }
    }
}
