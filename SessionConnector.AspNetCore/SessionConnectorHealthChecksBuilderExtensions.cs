using System;
using System.Collections.Generic;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SessionConnector.AspNetCore.HealthChecks;

namespace SessionConnector.AspNetCore;

/// <summary>Health checks for the session storage.</summary>
public static class SessionConnectorHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that writes, reads back and deletes a probe record in the connector's storage (file, Redis,
    /// memory or custom: the probe goes through the same storage calls sessions use). Unhealthy (or
    /// <paramref name="failureStatus"/>) when any step fails.
    /// </summary>
    public static IHealthChecksBuilder AddSessionStorage(
        this IHealthChecksBuilder builder,
        string name = "sessionconnector-storage",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            static sp => new SessionStorageHealthCheck(sp.GetRequiredService<SessionStorageConnector>()),
            failureStatus,
            tags,
            timeout));
    }
}
