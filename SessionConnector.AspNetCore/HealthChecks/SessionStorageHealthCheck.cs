using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SessionConnector.Storage;

namespace SessionConnector.AspNetCore.HealthChecks;

/// <summary>
/// Probes the session storage with a write, a read-back and a delete of a probe record, through the same
/// <see cref="SessionStorage"/> calls sessions use: for file storage that is the directory, its permissions and free
/// space; for Redis the connection, the key prefix and the compare-and-set script. No Redis dependency is needed for it.
/// </summary>
internal sealed class SessionStorageHealthCheck(SessionStorageConnector connector) : IHealthCheck
{
    // Never a real record's key: those are 43-character keyed hashes without this shape.
    internal const string ProbeKey = "sessionconnector-health-probe";

    private static readonly byte[] s_probe = "sessionconnector health probe"u8.ToArray();

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        SessionStorage storage = connector.Storage;
        var data = new Dictionary<string, object> { ["storage"] = storage.Kind };
        try
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            // The probe expires by itself should the delete below never run.
            if (!await storage.TryWriteAsync(ProbeKey, s_probe, now.AddMinutes(1), SessionStorage.AnyVersion, Math.Max(now.UtcTicks, 1), cancellationToken).ConfigureAwait(false))
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"{storage.Kind} session storage refused an unconditional write.", data: data);
            }

            StoredRecord? back = await storage.ReadAsync(ProbeKey, cancellationToken).ConfigureAwait(false);
            await storage.DeleteAsync(ProbeKey, cancellationToken).ConfigureAwait(false);
            if (back is null || !back.Value.Value.AsSpan().SequenceEqual(s_probe))
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"{storage.Kind} session storage did not return what was written.", data: data);
            }

            return HealthCheckResult.Healthy($"{storage.Kind} session storage answered a write, a read and a delete.", data);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{storage.Kind} session storage failed: {e.Message}", e, data);
        }
    }
}
