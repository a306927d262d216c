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

    /// <summary>The cookie name (default <c>sid</c>); <see cref="UseHostPrefix"/> adds <c>__Host-</c> in front.</summary>
    public string Name { get; set; } = "sid";

    /// <summary>The cookie's <c>Domain</c>; null (the default) makes it host-only, which is what <c>__Host-</c> requires.</summary>
    public string? Domain { get; set; }

    /// <summary>The cookie's <c>Path</c> (default "/").</summary>
    public string Path { get; set; } = "/";

    /// <summary>
    /// Sends the cookie only over HTTPS (default true). Turn it off only for plain-HTTP development or a loopback
    /// test; a session ID sent in clear text can be stolen on the wire.
    /// </summary>
    public bool Secure { get; set; } = true;

    /// <summary>The cookie's <c>SameSite</c> (default <see cref="SameSiteMode.Lax"/>); <see cref="SameSiteMode.None"/> requires <see cref="Secure"/>.</summary>
    public SameSiteMode SameSite { get; set; } = SameSiteMode.Lax;

    /// <summary>
    /// True: the cookie carries <c>Max-Age</c> up to the session's expiry, survives a browser restart and is re-sent
    /// when an idle timeout slides the expiry. False (the default): a browser-session cookie.
    /// </summary>
    public bool Persistent { get; set; }

    /// <summary>
    /// Prefix the name with <c>__Host-</c>: browsers then accept the cookie only when it is Secure, host-only and for
    /// path "/", so a sibling subdomain cannot plant or overwrite it (cookie tossing). Start-up fails when
    /// <see cref="Secure"/>, <see cref="Domain"/> or <see cref="Path"/> contradict it.
    /// </summary>
    public bool UseHostPrefix { get; set; }

    /// <summary>The name the cookie is written and read under.</summary>
    public string EffectiveName => UseHostPrefix && !Name.StartsWith(HostPrefix, StringComparison.Ordinal) ? HostPrefix + Name : Name;

    /// <summary>Throws <see cref="InvalidOperationException"/> when the settings contradict each other.</summary>
    internal void Validate()
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
        if (SameSite == SameSiteMode.None && !Secure) throw new InvalidOperationException("SessionConnector: SameSite=None requires a Secure cookie; browsers reject it otherwise.");
        bool prefixed = UseHostPrefix || Name.StartsWith(HostPrefix, StringComparison.Ordinal);
        if (prefixed && (!Secure || Domain is not null || Path != "/"))
        {
            throw new InvalidOperationException("SessionConnector: a __Host- cookie must be Secure, have no Domain and have Path \"/\"; browsers drop it otherwise.");
        }
    }
}
