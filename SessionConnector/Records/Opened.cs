using System;
using SessionConnector.Internal;

namespace SessionConnector.Records;

/// <summary>An opened record's data and expiries.</summary>
/// <remarks>Expiries are kept as ticks, not DateTimeOffset? (see ExpiryTicks).</remarks>
internal readonly struct Opened<T>
{
    private readonly long _expiresAtTicks;
    private readonly long _absoluteExpiresAtTicks;

    public Opened(T value, in PayloadHeader header)
    {
        Value = value;
        _expiresAtTicks = header.ExpiresAtTicks;
        _absoluteExpiresAtTicks = header.AbsoluteExpiresAtTicks;
        Principal = header.Principal;
    }

    /// <summary>The principal stamp (null when unbound).</summary>
    public Serialization.PrincipalStamp? Principal { get; }

    public T Value { get; }

    public DateTimeOffset? ExpiresAt => ExpiryTicks.ToExpiry(_expiresAtTicks);

    public DateTimeOffset? AbsoluteExpiresAt => ExpiryTicks.ToExpiry(_absoluteExpiresAtTicks);
}
