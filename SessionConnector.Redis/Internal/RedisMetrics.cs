using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace SessionConnector.Redis.Internal;

/// <summary>
/// The Redis storage's instruments, on a meter named like the connector's (<c>SessionConnector</c>) so one
/// <c>AddMeter("SessionConnector")</c> collects both; every measurement is tagged with the key prefix, which tells
/// applications sharing a Redis apart.
/// </summary>
internal sealed class RedisMetrics : IDisposable
{
    private readonly Counter<long> _invalidationsReceived;
    private readonly Counter<long> _cacheClears;
    private readonly Counter<long> _unconfirmedWrites;
    private readonly Counter<long> _failures;
    private readonly KeyValuePair<string, object?> _prefixTag;
    private readonly bool _ownsMeter;

    public RedisMetrics(string keyPrefix, IMeterFactory? meterFactory)
    {
        // A factory's meter belongs to the factory (the host disposes it); a meter we create is ours to dispose.
        _ownsMeter = meterFactory is null;
        Meter = meterFactory?.Create(new MeterOptions(MeterName) { Version = "1.0" }) ?? new Meter(MeterName, "1.0");
        _prefixTag = new KeyValuePair<string, object?>("sessionconnector.redis.key_prefix", keyPrefix);
        _invalidationsReceived = Meter.CreateCounter<long>("sessionconnector.redis.invalidations.received", "{message}", "Invalidations received from other nodes.");
        _cacheClears = Meter.CreateCounter<long>("sessionconnector.redis.cache.clears", "{clear}", "Times the connector's whole cache was emptied: a Clear elsewhere, a lost subscription, a failed connection.");
        _unconfirmedWrites = Meter.CreateCounter<long>("sessionconnector.redis.replication.unconfirmed", "{write}", "Writes and deletes that fewer than WaitForReplicas replicas confirmed in time (reported to the caller as failures).");
        _failures = Meter.CreateCounter<long>("sessionconnector.redis.failures", "{operation}", "Redis operations that failed with SessionStorageException.");
    }

    public const string MeterName = "SessionConnector";

    public Meter Meter { get; }

    public void InvalidationReceived() => _invalidationsReceived.Add(1, _prefixTag);

    public void CacheCleared() => _cacheClears.Add(1, _prefixTag);

    public void UnconfirmedWrite() => _unconfirmedWrites.Add(1, _prefixTag);

    public void Failure(string operation) =>
        _failures.Add(1, _prefixTag, new KeyValuePair<string, object?>("sessionconnector.storage.operation", operation));

    public void Dispose()
    {
        if (_ownsMeter) Meter.Dispose();
    }
}
