using System;
using System.Numerics;

namespace SessionConnector.Internal;

/// <summary>
/// The one stripe map of the process: a storage key's writer gate, invalidation count and version-clock line all use
/// <see cref="Of"/>, so writers of one session that already queue on their gate also share (and alone write) one clock line.
/// </summary>
internal static class Stripes
{
    /// <summary>
    /// The next power of two at or above 16 × cores, at least 256 and at most 4096: with <c>n</c> writers two unrelated
    /// sessions share a stripe with probability about n² / (2 × stripes), so 16 stripes a core keep that under one pair
    /// in a few at full load (1024 at 64 cores), while the floor of 256 keeps small machines as they were. A power of two
    /// so a stripe is a mask, and its bits can be a version's low bits (see <see cref="Records.RecordVersions"/>).
    /// </summary>
    public static readonly int Count = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(16 * Environment.ProcessorCount, 256, 4096));

    /// <summary>The stripe of <paramref name="key"/> (a storage key).</summary>
    public static int Of(string key) => StringComparer.Ordinal.GetHashCode(key) & (Count - 1);
}
