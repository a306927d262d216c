using System;
using SessionConnector.Internal;

namespace SessionConnector.Records;

/// <summary>An opened record's authenticated payload header: data format and expiries.</summary>
/// <remarks>
/// A plain struct with expiries as ticks, not a record struct of DateTimeOffset?: the connector's read path carries it,
/// and a record struct's generated equality and ToString would link date formatting into every NativeAOT app (see ExpiryTicks).
/// </remarks>
internal readonly struct PayloadHeader
{
    public PayloadHeader(SessionFormat format, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, Serialization.PrincipalStamp? principal = null)
    {
        Principal = principal;
        Format = format;
        ExpiresAtTicks = ExpiryTicks.Of(expiresAt);
        AbsoluteExpiresAtTicks = ExpiryTicks.Of(absoluteExpiresAt);
    }

    public SessionFormat Format { get; }

    /// <summary>The principal the session is bound to and the generation it was sealed at; null for an unbound session.</summary>
    public Serialization.PrincipalStamp? Principal { get; }

    public long ExpiresAtTicks { get; }

    public long AbsoluteExpiresAtTicks { get; }

    public DateTimeOffset? ExpiresAt => ExpiryTicks.ToExpiry(ExpiresAtTicks);

    public DateTimeOffset? AbsoluteExpiresAt => ExpiryTicks.ToExpiry(AbsoluteExpiresAtTicks);

    // ExpiryTicks.None is later than every instant, so "no expiry" needs no case of its own.
    public bool IsExpired(DateTimeOffset now) => ExpiresAtTicks <= now.UtcTicks || AbsoluteExpiresAtTicks <= now.UtcTicks;
}
