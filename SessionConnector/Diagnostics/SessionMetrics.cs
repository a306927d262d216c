using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SessionConnector.Diagnostics;

/// <summary>
/// System.Diagnostics.Metrics instruments, named after OpenTelemetry conventions (lower-case, dotted,
/// durations in seconds). One <see cref="Meter"/> per connector so tests can listen to just theirs.
/// </summary>
internal sealed class SessionMetrics : IDisposable
{
    public const string MeterName = "SessionConnector";

    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _cacheMisses;
    private readonly Counter<long> _cacheEvictions;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _storageOps;
    private readonly Histogram<double> _storageDuration;
    private readonly Counter<long> _storageFailures;
    private readonly Counter<long> _storageTimeouts;
    private readonly Counter<long> _staleServed;
    private readonly KeyValuePair<string, object?> _kindTag;

    private readonly SessionConnectorObserver? _observer;
    private readonly bool _ownsMeter;

    public SessionMetrics(string storageKind, IMeterFactory? meterFactory = null, SessionConnectorObserver? observer = null)
    {
        _observer = observer;
        // A factory's meter belongs to the factory (the host disposes it); a meter we create is ours to dispose.
        _ownsMeter = meterFactory is null;
        Meter = meterFactory?.Create(new MeterOptions(MeterName) { Version = "1.0" }) ?? new Meter(MeterName, "1.0");
        _kindTag = new KeyValuePair<string, object?>("sessionconnector.storage.kind", storageKind);
        _cacheHits = Meter.CreateCounter<long>("sessionconnector.cache.hits", "{hit}", "Session reads answered by the cache.");
        _cacheMisses = Meter.CreateCounter<long>("sessionconnector.cache.misses", "{miss}", "Session reads that went to storage.");
        _cacheEvictions = Meter.CreateCounter<long>("sessionconnector.cache.evictions", "{eviction}", "Entries evicted from the cache to stay within its bound.");
        _rejected = Meter.CreateCounter<long>("sessionconnector.records.rejected", "{record}", "Stored records refused by a reader: not authentic (evicted), under an unknown key or not decodable as the reader's type (left in place).");
        _storageOps = Meter.CreateCounter<long>("sessionconnector.storage.operations", "{operation}", "Storage backend operations.");
        _storageDuration = Meter.CreateHistogram<double>("sessionconnector.storage.duration", "s", "Duration of storage backend operations.");
        _storageFailures = Meter.CreateCounter<long>("sessionconnector.storage.failures", "{operation}", "Storage backend operations that failed (the caller got SessionStorageException), timeouts included.");
        _storageTimeouts = Meter.CreateCounter<long>("sessionconnector.storage.timeouts", "{operation}", "Storage backend operations that ran out of time (the backend's own timeout or the connector's StorageTimeout).");
        _staleServed = Meter.CreateCounter<long>("sessionconnector.cache.stale_served", "{read}", "Reads answered from a cached copy past its maximum age because storage failed (SessionConnectorOptions.FailSafeMaxStaleness).");
    }

    public Meter Meter { get; }

    public void CacheHit() => _cacheHits.Add(1);

    public void CacheMiss() => _cacheMisses.Add(1);

    public void CacheEviction() => _cacheEvictions.Add(1);

    public void Rejected(string reason)
    {
        _rejected.Add(1, new KeyValuePair<string, object?>("sessionconnector.reject.reason", reason));
        _observer?.RecordRejected(reason);
    }

    public void StorageFailed(string operation, Storage.SessionStorageException exception)
    {
        if (_storageFailures.Enabled) _storageFailures.Add(1, _kindTag, OperationTag(operation));
        if (exception.IsTimeout && _storageTimeouts.Enabled) _storageTimeouts.Add(1, _kindTag, OperationTag(operation));
        _observer?.StorageFailed(operation, exception);
    }

    /// <summary>A read was answered from a stale cached copy of <paramref name="age"/> because storage failed.</summary>
    public void StaleServed(TimeSpan age, Storage.SessionStorageException cause)
    {
        _staleServed.Add(1, _kindTag);
        _observer?.StaleSessionServed(age, cause);
    }

    /// <summary>
    /// The start timestamp of a storage operation, or 0 when nobody listens to the duration histogram: the clock is read
    /// only for a listener, so a process without one pays nothing per call.
    /// </summary>
    public long StartStorageOperation() => _storageDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records one storage operation; <paramref name="startTimestamp"/> comes from <see cref="StartStorageOperation"/>.</summary>
    public void StorageOperation(string operation, long startTimestamp)
    {
        // Enabled first: without a listener the tag list is never built (Add would build it only to drop it).
        if (_storageOps.Enabled) _storageOps.Add(1, _kindTag, OperationTag(operation));
        // A listener that subscribed after the start has no start time to measure from: skip that one sample.
        if (startTimestamp != 0 && _storageDuration.Enabled)
        {
            _storageDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, _kindTag, OperationTag(operation));
        }
    }

    private static KeyValuePair<string, object?> OperationTag(string operation) => new("sessionconnector.storage.operation", operation);

    public void Dispose()
    {
        if (_ownsMeter) Meter.Dispose();
    }
}
