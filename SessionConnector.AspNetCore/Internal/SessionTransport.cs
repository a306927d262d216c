using System;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>
/// Where a request's session ID travels: the cookie (the default) or a header (<see cref="SessionTokenHeader"/>, from
/// the endpoint's metadata or the app's options). Chosen once per request, so a header route never reads or sets the cookie.
/// </summary>
internal static class SessionTransport
{
    private const string BearerScheme = "Bearer ";

    /// <summary>The header transport of this request, or null for the cookie.</summary>
    public static SessionTokenHeader? HeaderOf(HttpContext context, SessionConnectorHost host) =>
        (SessionTokenHeader.AnyCreated ? context.GetEndpoint()?.Metadata.GetMetadata<SessionTokenHeader>() : null) ?? host.HeaderTransport;

    public static string? Presented(HttpContext context, SessionConnectorHost host, SessionTokenHeader? header)
    {
        if (header is null) return SessionCookie.Presented(context, host);
        StringValues values = context.Request.Headers[header.HeaderName ?? HeaderNames.Authorization];
        // Two values give no way to tell which one the server issued: neither is trusted (as two cookies are not).
        if (values.Count != 1) return null;
        string? value = values[0];
        if (value is null) return null;
        if (header.HeaderName is null)
        {
            // Another scheme (Basic, a JWT for another handler) is not a session token: no session, never an error.
            if (value.Length <= BearerScheme.Length || !value.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase)) return null;
            value = value[BearerScheme.Length..].Trim();
        }

        // A malformed, oversized or hostile token is "no session": the request gets a fresh one, never an exception.
        return SessionIds.IsValid(value) ? value : null;
    }

    public static void Issue(HttpContext context, SessionConnectorHost host, SessionTokenHeader? header, string id, DateTimeOffset? expiresAt)
    {
        if (header is null)
        {
            SessionCookie.Issue(context, host, id, expiresAt);
            return;
        }

        context.Response.Headers[header.ResponseHeaderName] = id;
        // A response carrying a bearer credential must not be kept by a shared cache.
        context.Response.Headers.CacheControl = "no-store";
    }

    public static void Expire(HttpContext context, SessionConnectorHost host, SessionTokenHeader? header)
    {
        if (header is null)
        {
            SessionCookie.Expire(context, host);
            return;
        }

        // Empty: the client drops its token (the session behind it is already deleted).
        context.Response.Headers[header.ResponseHeaderName] = string.Empty;
        context.Response.Headers.CacheControl = "no-store";
    }
}
