#if WEBAPI_SOAK
using System;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using SessionConnector.AspNetCore;
using SessionConnector.Redis;

namespace WebApi;

/// <summary>
/// Only in the soak build (scripts/soak.sh publishes with -p:WebApiSoak=true; the default build has none of this):
/// Redis storage from WEBAPI_REDIS, fail-safe reads from WEBAPI_FAILSAFE_SECONDS, and a /diag endpoint with the
/// process figures the soak records (GC heap) that /proc does not give.
/// </summary>
internal static class SoakSettings
{
    public static void Apply(SessionConnectorWebOptions options)
    {
        if (Environment.GetEnvironmentVariable("WEBAPI_REDIS") is { Length: > 0 } redis)
        {
            options.Storage = _ => RedisSessionStorage.Connect(new RedisSessionStorageOptions
            {
                Configuration = redis,
                KeyPrefix = "soak:",
                OperationTimeout = TimeSpan.FromSeconds(1),
            });
        }

        if (int.TryParse(Environment.GetEnvironmentVariable("WEBAPI_FAILSAFE_SECONDS"), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
        {
            options.Connector.FailSafeMaxStaleness = TimeSpan.FromSeconds(seconds);
        }
    }

    public static IResult Diagnostics()
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        return Results.Text(string.Create(CultureInfo.InvariantCulture,
            $"gc_heap_bytes={GC.GetTotalMemory(false)} gc_heap_size_bytes={info.HeapSizeBytes} gc_count={GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}"));
    }
}
#endif
