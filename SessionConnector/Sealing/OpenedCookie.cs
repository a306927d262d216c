using System;

namespace SessionConnector.Sealing;

/// <summary>What an authenticated cookie (or one just sealed) said about itself, from its authenticated header.</summary>
internal sealed record OpenedCookie(
    byte[] CookieIdBytes,
    string CookieId,
    DateTimeOffset? AbsoluteExpiresAt,
    DateTimeOffset? IdleExpiresAt,
    string? SpillId,
    bool UsedOldKey,
    Serialization.PrincipalStamp? Principal = null)
{
    /// <summary>The earlier of the idle and the absolute expiry.</summary>
    public DateTimeOffset? ExpiresAt =>
        IdleExpiresAt is { } idle && (AbsoluteExpiresAt is not { } abs || idle < abs) ? idle : AbsoluteExpiresAt;
}
