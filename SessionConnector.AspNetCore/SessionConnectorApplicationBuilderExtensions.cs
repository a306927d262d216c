using System;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SessionConnector.AspNetCore.Internal;

namespace SessionConnector.AspNetCore;

/// <summary>Adds the session middleware to the pipeline.</summary>
public static class SessionConnectorApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the session middleware. It builds the connector now, so a missing key outside Development, an
    /// unreachable option or a contradictory cookie setting fails start-up rather than the first request.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>AddSessionConnector</c> was not called, or the options are invalid.</exception>
    /// <exception cref="SessionStorageConnectorException">No key is configured outside the Development environment.</exception>
    public static IApplicationBuilder UseSessionConnector(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        SessionConnectorHost host = app.ApplicationServices.GetService<SessionConnectorHost>()
            ?? throw new InvalidOperationException("Call builder.Services.AddSessionConnector(...) before app.UseSessionConnector().");
        // A lambda instead of UseMiddleware<T>: no reflection over constructors or Invoke methods.
        return app.Use(next => new SessionConnectorMiddleware(next, host).InvokeAsync);
    }
}
