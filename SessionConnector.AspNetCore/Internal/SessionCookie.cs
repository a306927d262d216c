using System;
using Microsoft.AspNetCore.Http;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>Writes and expires the session cookie with the configured attributes (HttpOnly always).</summary>
internal static class SessionCookie
{
    public static void Issue(HttpContext context, SessionConnectorHost host, string id, DateTimeOffset? expiresAt)
    {
        CookieOptions options = Attributes(host.Cookie);
        if (host.Cookie.Persistent && expiresAt is { } at)
        {
            // Max-Age, not Expires: relative to the browser's clock, so a skewed client clock cannot stretch it.
            TimeSpan left = at - host.Time.GetUtcNow();
            options.MaxAge = left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
        }

        context.Response.Cookies.Append(host.CookieName, id, options);
    }

    public static void Expire(HttpContext context, SessionConnectorHost host) =>
        context.Response.Cookies.Delete(host.CookieName, Attributes(host.Cookie));

    private static CookieOptions Attributes(SessionCookieOptions cookie) => new()
    {
        HttpOnly = true,
        Secure = cookie.Secure,
        SameSite = cookie.SameSite,
        Path = cookie.Path,
        Domain = cookie.Domain,
        // The session cookie is what the app runs on; consent policies must not drop it silently.
        IsEssential = true,
    };
}
