using System;

namespace SessionConnector.Internal;

/// <summary>An optional expiry as UTC ticks, 0 for none: the form structs keep expiries in.</summary>
/// <remarks>
/// NativeAOT emits a field walker (<c>__GetFieldHelper</c>) for a struct's equality, and a <c>DateTimeOffset?</c> field
/// there boxes a DateTimeOffset, which links date formatting and time-zone data (~100 KB) into every binary.
/// </remarks>
internal static class ExpiryTicks
{
    public static long Of(DateTimeOffset? expiresAt) => expiresAt?.UtcTicks ?? 0;

    public static DateTimeOffset? ToExpiry(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
}
