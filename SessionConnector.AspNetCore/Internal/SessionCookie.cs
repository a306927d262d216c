using System;
using System.Threading;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>Reads, writes and expires the session cookie with the configured attributes (HttpOnly always).</summary>
internal static class SessionCookie
{
    /// <summary>
    /// The session ID the request presents, or null: none, malformed, or ambiguous. Two cookies of the session's name
    /// with different values (a sibling subdomain can add a <c>Domain</c> cookie, a stale one can linger on another
    /// path) give no way to tell which one the server issued, so neither is trusted: the planted one must never win.
    /// </summary>
    public static string? Presented(HttpContext context, SessionConnectorHost host)
    {
        string name = host.CookieName;
        string? value = null;
        int distinct = 0;
        foreach (string? header in context.Request.Headers.Cookie)
        {
            if (header is null) continue;
            ReadOnlySpan<char> rest = header;
            while (!rest.IsEmpty)
            {
                int end = rest.IndexOf(';');
                ReadOnlySpan<char> pair = (end < 0 ? rest : rest[..end]).Trim();
                rest = end < 0 ? default : rest[(end + 1)..];
                int equals = pair.IndexOf('=');
                if (equals <= 0) continue;
                // Case-insensitive, as ASP.NET Core's own cookie collection matches names: "SID" and "sid" are one name there.
                if (!pair[..equals].Trim().Equals(name, StringComparison.OrdinalIgnoreCase)) continue;
                ReadOnlySpan<char> v = pair[(equals + 1)..].Trim();
                if (value is not null && v.SequenceEqual(value)) continue; // the same ID twice is not ambiguous
                value = v.ToString();
                distinct++;
            }
        }

        if (distinct > 1)
        {
            Log.AmbiguousSessionCookie(host.Logger, distinct);
            return null;
        }

        // A malformed, oversized or hostile cookie is "no session": the request gets a fresh one, never an exception.
        return SessionIds.IsValid(value) ? value : null;
    }

    public static void Issue(HttpContext context, SessionConnectorHost host, string id, DateTimeOffset? expiresAt)
    {
        CookieOptions options = Attributes(context, host);
        if (host.Cookie.Persistent && expiresAt is { } at)
        {
            // Max-Age, not Expires: relative to the browser's clock, so a skewed client clock cannot stretch it.
            TimeSpan left = at - host.Time.GetUtcNow();
            options.MaxAge = left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
        }

        if (options.Secure && !context.Request.IsHttps && host.IsDevelopment && Interlocked.Exchange(ref host.SecureOverHttpWarned, 1) == 0)
        {
            // The trap a new user meets first: a Secure cookie issued over http://localhost is never sent back.
            Log.SecureCookieOverHttp(host.Logger);
        }

        context.Response.Cookies.Append(host.CookieName, id, options);
    }

    public static void Expire(HttpContext context, SessionConnectorHost host) =>
        context.Response.Cookies.Delete(host.CookieName, Attributes(context, host));

    private static CookieOptions Attributes(HttpContext context, SessionConnectorHost host) => new()
    {
        HttpOnly = true,
        Secure = host.SecurePolicy switch
        {
            CookieSecurePolicy.None => false,
            CookieSecurePolicy.SameAsRequest => context.Request.IsHttps,
            _ => true,
        },
        SameSite = host.Cookie.SameSite,
        Path = host.Cookie.Path,
        Domain = host.Cookie.Domain,
        // The session cookie is what the app runs on; consent policies must not drop it silently.
        IsEssential = true,
    };
}
