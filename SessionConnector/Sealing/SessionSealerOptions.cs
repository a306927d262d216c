using System;
using System.Diagnostics.Metrics;

namespace SessionConnector.Sealing;

/// <summary>
/// Settings of a <see cref="SessionSealer"/>: the keys, what a cookie is bound to, its lifetime, its attributes and size
/// budget, and the optional store that makes a logout hold and takes sessions too large for cookies.
/// </summary>
public sealed class SessionSealerOptions
{
    /// <summary>The browsers' cap on one whole cookie (name, value and attributes), in bytes.</summary>
    public const int BrowserCookieLimit = 4096;

    /// <summary>
    /// The key ring (required; the sealer fails closed without one). Use the ring of the stored sessions: rotation and
    /// revocation work as for stored records (a cookie under an older key opens and is re-sealed under the primary; one
    /// under a revoked key does not open). The ring stays the caller's to dispose.
    /// </summary>
    public SessionKeyRing? Keys { get; set; }

    /// <summary>The cookie name (default <c>session</c>); chunks are named <c>name.1</c>, <c>name.2</c>, and so on.</summary>
    public string CookieName { get; set; } = "session";

    /// <summary>
    /// What the application uses these cookies for (required, e.g. <c>"shop/cart"</c>). Bound into every cookie, so a
    /// cookie minted by another application or for another purpose under the same keys does not open here.
    /// </summary>
    public string? Purpose { get; set; }

    /// <summary>
    /// Absolute lifetime from creation (default 8 hours); a renewal keeps it. Required: a sealed cookie without an
    /// expiry would be a credential that no one can take back once copied, so null is refused.
    /// </summary>
    public TimeSpan? Lifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Optional idle timeout: a cookie not re-sealed for this long no longer opens, even within its lifetime.</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>The cookie's <c>Path</c> (default "/").</summary>
    public string Path { get; set; } = "/";

    /// <summary>The cookie's <c>Domain</c>; null (the default) makes it host-only.</summary>
    public string? Domain { get; set; }

    /// <summary>Sends the cookie only over HTTPS (default true); turn off only for plain-HTTP development.</summary>
    public bool Secure { get; set; } = true;

    /// <summary>The cookie's <c>SameSite</c>: <c>Lax</c> (default), <c>Strict</c> or <c>None</c> (which requires <see cref="Secure"/>).</summary>
    public string SameSite { get; set; } = "Lax";

    /// <summary>True: the cookie carries <c>Max-Age</c> up to the session's expiry; false (default): a browser-session cookie.</summary>
    public bool Persistent { get; set; }

    /// <summary>
    /// The budget of one whole cookie as the <c>Set-Cookie</c> line carries it (name, value and every attribute), in
    /// bytes; default and maximum <see cref="BrowserCookieLimit"/>. A session whose sealed form does not fit is split
    /// over several cookies.
    /// </summary>
    public int MaxCookieBytes { get; set; } = BrowserCookieLimit;

    /// <summary>
    /// The most cookies one session may take (default 4, at most 16). Above it the session spills to <see cref="Store"/>
    /// when one is configured, and <see cref="SessionCookieTooLargeException"/> is thrown otherwise. Keep it low: every
    /// cookie travels on every request, and servers cap request headers (8 KB is a common limit).
    /// </summary>
    public int MaxChunks { get; set; } = 4;

    /// <summary>
    /// An optional store (memory, file, Redis). With one, a sign-out records the cookie's id until the cookie would have
    /// expired and a replayed cookie is refused (one read per opened cookie), a renewal retires the old cookie the same
    /// way, and a session too large for <see cref="MaxChunks"/> cookies is stored there with only a reference in the
    /// cookie. Without one, no storage I/O happens, and a copied cookie stays valid until it expires. The connector
    /// stays the caller's to dispose.
    /// </summary>
    public SessionStorageConnector? Store { get; set; }

    /// <summary>The serialization format of the sealed data (default MessagePack, the smaller).</summary>
    public SessionFormat Format { get; set; } = SessionFormat.MessagePack;

    /// <summary>The clock (default: the system's).</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Creates the meter for the sealer's metrics; null: a meter of the sealer's own.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Receives spills, refusals and rejected cookies, for logging.</summary>
    public SealedSessionObserver? Observer { get; set; }
}
