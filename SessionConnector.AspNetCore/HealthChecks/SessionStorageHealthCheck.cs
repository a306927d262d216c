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
    private static readonly byte[] s_probe = "sessionconnector health probe"u8.ToArray();

    /// <summary>
    /// A fresh probe key per check, in the shape every backend accepts for a record (43 base64url characters, as the
    /// connector's keyed-hash storage keys; Redis refuses any other shape). Random, so it never names a real record
    /// (2^-256), and instances probing one shared store never read or delete each other's probe.
    /// </summary>
    internal static string NewProbeKey() => SessionIds.Generate(); // 32 random bytes, base64url: the same shape

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        SessionStorage storage = connector.Storage;
        var data = new Dictionary<string, object> { ["storage"] = storage.Kind };
        string probeKey = NewProbeKey();
        try
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            // The probe expires by itself should the delete below never run.
            if (!await storage.TryWriteAsync(probeKey, s_probe, now.AddMinutes(1), SessionStorage.AnyVersion, Math.Max(now.UtcTicks, 1), cancellationToken).ConfigureAwait(false))
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"{storage.Kind} session storage refused an unconditional write.", data: data);
            }

            StoredRecord? back = await storage.ReadAsync(probeKey, cancellationToken).ConfigureAwait(false);
            await storage.DeleteAsync(probeKey, cancellationToken).ConfigureAwait(false);
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
