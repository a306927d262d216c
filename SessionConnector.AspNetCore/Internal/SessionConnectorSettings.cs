using System;
using Microsoft.AspNetCore.Http;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>
/// The configuration section <c>SessionConnector</c>, as plain bindable values. Kept apart from
/// <see cref="SessionConnectorWebOptions"/> (which holds delegates, a clock and a key ring the binder cannot bind),
/// so the configuration-binding generator sees only types it supports.
/// </summary>
internal sealed class SessionConnectorSettings
{
    public string? Keys { get; set; }

    public string? Storage { get; set; }

    public string? Directory { get; set; }

    /// <summary>With <c>Storage: Cookie</c>: the purpose sealed cookies are bound to.</summary>
    public string? Purpose { get; set; }

    public TimeSpan? Lifetime { get; set; }

    public TimeSpan? IdleTimeout { get; set; }

    public SessionConflictPolicy? ConflictPolicy { get; set; }

    public SessionCookieSettings? Cookie { get; set; }
}

/// <summary>The <c>SessionConnector:Cookie</c> section.</summary>
internal sealed class SessionCookieSettings
{
    public string? Name { get; set; }

    public string? Domain { get; set; }

    public string? Path { get; set; }

    public CookieSecurePolicy? SecurePolicy { get; set; }

    /// <summary>Shorthand kept for configurations written before SecurePolicy: true is Always, false is None.</summary>
    public bool? Secure { get; set; }

    public SameSiteMode? SameSite { get; set; }

    public bool? Persistent { get; set; }

    public bool? UseHostPrefix { get; set; }
}
