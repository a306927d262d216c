using System;

namespace SessionConnector.Internal;

/// <summary>
/// An optional expiry as UTC ticks, <see cref="None"/> for none: the one form the connector keeps expiries in (structs,
/// the cache, the versioned reads).
/// </summary>
/// <remarks>
/// NativeAOT emits a field walker (<c>__GetFieldHelper</c>) for a struct's equality, and a <c>DateTimeOffset?</c> field
/// there boxes a DateTimeOffset, which links date formatting and time-zone data (~100 KB) into every binary.
/// "None" is <see cref="long.MaxValue"/>, not 0: a deadline comparison (<c>ticks &lt;= now</c>, <c>Math.Min</c>) then
/// needs no special case, and a zeroed struct reads as long expired, which fails closed.
/// </remarks>
internal static class ExpiryTicks
{
    /// <summary>No expiry: later than every real instant (<see cref="DateTimeOffset.MaxValue"/> is about a third of it).</summary>
    public const long None = long.MaxValue;

    public static long Of(DateTimeOffset? expiresAt) => expiresAt?.UtcTicks ?? None;

    public static DateTimeOffset? ToExpiry(long ticks) => ticks == None ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
}
