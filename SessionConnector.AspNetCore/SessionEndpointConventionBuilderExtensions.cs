using System;
using Microsoft.AspNetCore.Builder;

namespace SessionConnector.AspNetCore;

/// <summary>Chooses the session transport per endpoint or route group.</summary>
public static class SessionEndpointConventionBuilderExtensions
{
    /// <summary>
    /// The endpoints read the session ID from a header (<c>Authorization: Bearer …</c> when <paramref name="headerName"/>
    /// is null) and return a new one in <paramref name="responseHeaderName"/>; they never read or set the session cookie.
    /// See <see cref="SessionTokenHeader"/>.
    /// </summary>
    public static TBuilder WithSessionHeader<TBuilder>(this TBuilder builder, string? headerName = null, string responseHeaderName = SessionTokenHeader.DefaultResponseHeaderName)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var header = new SessionTokenHeader(headerName, responseHeaderName);
        builder.Add(endpoint => endpoint.Metadata.Add(header));
        return builder;
    }
}
