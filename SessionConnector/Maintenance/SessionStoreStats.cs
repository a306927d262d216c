using System.Collections.Generic;

namespace SessionConnector.Maintenance;

/// <summary>A census of a session store (<see cref="SessionStoreMaintenance.GetStatsAsync"/>).</summary>
public sealed class SessionStoreStats
{
    internal SessionStoreStats(
        long records, long bytes, IReadOnlyDictionary<uint, long> recordsByKeyId, IReadOnlyList<KeyValuePair<string, long>> expiryHistogram,
        long expiredPresent, long damaged, uint? primaryKeyId, IReadOnlyDictionary<RecordFailure, long>? undecryptable)
    {
        Records = records;
        Bytes = bytes;
        RecordsByKeyId = recordsByKeyId;
        ExpiryHistogram = expiryHistogram;
        ExpiredPresent = expiredPresent;
        Damaged = damaged;
        PrimaryKeyId = primaryKeyId;
        Undecryptable = undecryptable;
    }

    /// <summary>Records present, expired ones included.</summary>
    public long Records { get; }

    /// <summary>Total size of the stored envelopes, in bytes (backend bookkeeping excluded).</summary>
    public long Bytes { get; }

    /// <summary>Records per key id in their envelope header (damaged records, which have none, are not counted here).</summary>
    public IReadOnlyDictionary<uint, long> RecordsByKeyId { get; }

    /// <summary>
    /// Records by time left until their stored expiry, in order: <c>expired</c>, <c>≤1h</c>, <c>≤1d</c>, <c>≤7d</c>,
    /// <c>≤30d</c>, <c>&gt;30d</c>, <c>never</c>.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, long>> ExpiryHistogram { get; }

    /// <summary>Records past their stored expiry that the backend still holds (what a purge removes).</summary>
    public long ExpiredPresent { get; }

    /// <summary>Records whose container or envelope is malformed.</summary>
    public long Damaged { get; }

    /// <summary>The primary key id of the ring the census ran with, or null when it ran without keys.</summary>
    public uint? PrimaryKeyId { get; }

    /// <summary>
    /// Unexpired records that do not open with the ring, by reason (damaged ones included), or null when the census ran
    /// without keys.
    /// </summary>
    public IReadOnlyDictionary<RecordFailure, long>? Undecryptable { get; }

    /// <summary>Principals that ever had a session bound (one generation record each), or null without keys (docs/principals.md).</summary>
    public long? Principals { get; internal init; }

    /// <summary>Unexpired sessions bound to a principal (signed-out ones not yet evicted included), or null without keys.</summary>
    public long? BoundSessions { get; internal init; }
}
