using System;
using Microsoft.AspNetCore.Http;

namespace SessionConnector.AspNetCore;

/// <summary>
/// How the session cookie is written (after ASP.NET Core's <c>CookieBuilder</c>). The cookie is always
/// <c>HttpOnly</c>: script never needs the session ID, and an XSS bug must not be able to steal it.
/// </summary>
public sealed class SessionCookieOptions
{
    /// <summary>The prefix browsers reserve for host-only, secure, path-"/" cookies.</summary>
    public const string HostPrefix = "__Host-";

    /// <summary>The cookie name (default <c>sid</c>); <see cref="UseHostPrefix"/> decides whether <c>__Host-</c> goes in front.</summary>
    public string Name { get; set; } = "sid";

    /// <summary>The cookie's <c>Domain</c>; null (the default) makes it host-only, which is what <c>__Host-</c> requires.</summary>
    public string? Domain { get; set; }

    /// <summary>The cookie's <c>Path</c> (default "/").</summary>
    public string Path { get; set; } = "/";

    /// <summary>
    /// When the cookie carries <c>Secure</c>, as ASP.NET Core's <c>CookieBuilder.SecurePolicy</c>:
    /// <see cref="CookieSecurePolicy.Always"/>, <see cref="CookieSecurePolicy.SameAsRequest"/> (Secure on HTTPS requests
    /// only) or <see cref="CookieSecurePolicy.None"/>. Null (the default): <see cref="CookieSecurePolicy.Always"/>,
    /// except <see cref="CookieSecurePolicy.SameAsRequest"/> in the Development environment, so a plain-HTTP development
    /// endpoint keeps its session (a client never sends a Secure cookie back over HTTP). Behind a proxy that terminates
    /// TLS, keep <see cref="CookieSecurePolicy.Always"/> or forward the scheme (<c>UseForwardedHeaders</c>) before
    /// choosing <see cref="CookieSecurePolicy.SameAsRequest"/>: a session ID sent in clear text can be stolen on the wire.
    /// </summary>
    public CookieSecurePolicy? SecurePolicy { get; set; }

    /// <summary>The cookie's <c>SameSite</c> (default <see cref="SameSiteMode.Lax"/>); <see cref="SameSiteMode.None"/> requires a Secure cookie.</summary>
    public SameSiteMode SameSite { get; set; } = SameSiteMode.Lax;

    /// <summary>
    /// True: the cookie carries <c>Max-Age</c> up to the session's expiry, survives a browser restart and is re-sent
    /// when an idle timeout slides the expiry. False (the default): a browser-session cookie.
    /// </summary>
    public bool Persistent { get; set; }

    /// <summary>
    /// Prefix the name with <c>__Host-</c>: browsers then accept the cookie only when it is Secure, host-only and for
    /// path "/", so a sibling subdomain cannot plant or overwrite it (cookie tossing). Null (the default): prefixed
    /// whenever that is valid (the Secure policy resolves to <see cref="CookieSecurePolicy.Always"/>, no
    /// <see cref="Domain"/>, <see cref="Path"/> "/"). True: required, and start-up fails when the other settings
    /// contradict it. False: the documented opt-out (for example, to keep a cookie name that clients already hold).
    /// </summary>
    public bool? UseHostPrefix { get; set; }

    /// <summary>
    /// Resolves the environment-dependent defaults and checks that the settings agree; throws
    /// <see cref="InvalidOperationException"/> (start-up) when they contradict each other.
    /// </summary>
    internal (CookieSecurePolicy Policy, string Name) Resolve(bool development)
    {
        if (string.IsNullOrEmpty(Name)) throw new InvalidOperationException("SessionConnector: the cookie name is empty.");
        foreach (char c in Name)
        {
            // RFC 6265 cookie-name is an RFC 7230 token: no separators, controls or non-ASCII.
            if (c <= 0x20 || c >= 0x7F || "()<>@,;:\\\"/[]?={}".Contains(c))
            {
                throw new InvalidOperationException($"SessionConnector: the cookie name '{Name}' contains '{c}', which a cookie name cannot contain.");
            }
        }

        if (string.IsNullOrEmpty(Path) || Path[0] != '/') throw new InvalidOperationException("SessionConnector: the cookie path must start with '/'.");
        CookieSecurePolicy policy = SecurePolicy ?? (development ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always);
        if (policy is not (CookieSecurePolicy.Always or CookieSecurePolicy.SameAsRequest or CookieSecurePolicy.None))
        {
            throw new InvalidOperationException($"SessionConnector: the cookie's SecurePolicy '{policy}' is not Always, SameAsRequest or None.");
        }

        if (SameSite == SameSiteMode.None && policy == CookieSecurePolicy.None)
        {
            throw new InvalidOperationException("SessionConnector: SameSite=None requires a Secure cookie (SecurePolicy Always or SameAsRequest); browsers reject it otherwise.");
        }

        bool prefixValid = policy == CookieSecurePolicy.Always && Domain is null && Path == "/";
        bool named = Name.StartsWith(HostPrefix, StringComparison.Ordinal);
        bool prefixed = named || (UseHostPrefix ?? prefixValid);
        if (prefixed && !prefixValid)
        {
            throw new InvalidOperationException(
                "SessionConnector: a __Host- cookie must be Secure on every response (Cookie:SecurePolicy Always), have no Domain and have Path \"/\"; browsers drop it otherwise. " +
                "Fix the settings, or set Cookie:UseHostPrefix to false (and do not start the name with __Host-) to opt out of the prefix.");
        }

        return (policy, prefixed && !named ? HostPrefix + Name : Name);
    }
}
