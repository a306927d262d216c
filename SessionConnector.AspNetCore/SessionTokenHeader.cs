using System;
using System.Threading;
using Microsoft.Net.Http.Headers;

namespace SessionConnector.AspNetCore;

/// <summary>
/// Carries the session ID in a request header instead of a cookie, for game clients, native apps and gateways: set
/// for the whole app with <see cref="SessionConnectorWebOptions.UseHeaderTransport"/>, or for a route group with
/// <c>.WithSessionHeader()</c> (it is endpoint metadata). The guarantees are the cookie's: only the server mints IDs
/// (an unknown or malformed token gets a fresh session under a fresh ID, never the presented one), a new or renewed ID
/// goes back in <see cref="ResponseHeaderName"/>, and a sign-out answers that header empty. No cookie is read or set.
/// </summary>
public sealed class SessionTokenHeader
{
    /// <summary>The response header that carries a new or renewed session token (empty after a sign-out).</summary>
    public const string DefaultResponseHeaderName = "Session-Token";

    // Set once any instance exists (route metadata or the app-wide option needs one): until then no endpoint can carry
    // one, and a request skips the endpoint metadata lookup (SessionTransport.HeaderOf), which every request paid.
    private static bool s_anyCreated;

    /// <summary>Reads the token from <c>Authorization: Bearer …</c> (<paramref name="headerName"/> null) or from the named header.</summary>
    /// <exception cref="ArgumentException">A header name is empty or is not an HTTP token.</exception>
    public SessionTokenHeader(string? headerName = null, string responseHeaderName = DefaultResponseHeaderName)
    {
        if (headerName is not null) ValidateName(headerName, nameof(headerName));
        ValidateName(responseHeaderName, nameof(responseHeaderName));
        HeaderName = headerName;
        ResponseHeaderName = responseHeaderName;
        Volatile.Write(ref s_anyCreated, true);
    }

    /// <summary>The request header that carries the token; null: <c>Authorization</c> with the <c>Bearer</c> scheme.</summary>
    public string? HeaderName { get; }

    /// <summary>The response header a new or renewed token is returned in.</summary>
    public string ResponseHeaderName { get; }

    /// <summary>True once any instance was created in this process.</summary>
    internal static bool AnyCreated => Volatile.Read(ref s_anyCreated);

    private static void ValidateName(string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameter);
        foreach (char c in name)
        {
            // An RFC 9110 field name is a token: no separators, controls or non-ASCII.
            if (c <= 0x20 || c >= 0x7F || "()<>@,;:\\\"/[]?={}".Contains(c)) throw new ArgumentException($"The header name '{name}' contains '{c}'.", parameter);
        }

        if (string.Equals(name, HeaderNames.Cookie, StringComparison.OrdinalIgnoreCase) || string.Equals(name, HeaderNames.SetCookie, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("The session header cannot be a cookie header.", parameter);
        }
    }
}
