using System;
using System.Collections.Generic;
using System.Threading;
using SessionConnector.Storage;

namespace SessionConnector.Maintenance;

/// <summary>Accumulates <see cref="SessionStoreStats"/> from the parallel workers of a pass.</summary>
internal sealed class Census(bool withKeys)
{
    private static readonly (string Label, TimeSpan Limit)[] s_buckets =
    [
        ("≤1h", TimeSpan.FromHours(1)),
        ("≤1d", TimeSpan.FromDays(1)),
        ("≤7d", TimeSpan.FromDays(7)),
        ("≤30d", TimeSpan.FromDays(30)),
    ];

    // One lock for the whole census: the critical section is a few additions, tiny next to decrypting a record.
    private readonly object _gate = new();
    private readonly Dictionary<uint, long> _byKeyId = new();
    private readonly Dictionary<RecordFailure, long> _undecryptable = new();
    // expired, the limited buckets, >30d, never
    private readonly long[] _histogram = new long[s_buckets.Length + 3];
    private long _records, _bytes, _damaged, _principals, _boundSessions;

    public void AddPrincipalRecord(bool isGeneration, bool isBoundSession)
    {
        if (isGeneration) Interlocked.Increment(ref _principals);
        if (isBoundSession) Interlocked.Increment(ref _boundSessions);
    }

    public void Add(in StoredRecord record, DateTimeOffset now, RecordFailure failure)
    {
        int bucket = BucketOf(record.ExpiresAt, now);
        bool hasKeyId = Records.RecordPipeline.TryReadKeyId(record, out uint keyId);
        lock (_gate)
        {
            _records++;
            _bytes += record.Value.Length;
            _histogram[bucket]++;
            if (hasKeyId) _byKeyId[keyId] = _byKeyId.GetValueOrDefault(keyId) + 1;
            else _damaged++;
            if (failure != RecordFailure.None) _undecryptable[failure] = _undecryptable.GetValueOrDefault(failure) + 1;
        }
    }

    public SessionStoreStats ToStats(uint? primaryKeyId)
    {
        var histogram = new List<KeyValuePair<string, long>>(_histogram.Length) { new("expired", _histogram[0]) };
        for (int i = 0; i < s_buckets.Length; i++) histogram.Add(new(s_buckets[i].Label, _histogram[i + 1]));
        histogram.Add(new(">30d", _histogram[^2]));
        histogram.Add(new("never", _histogram[^1]));
        return new SessionStoreStats(_records, _bytes, _byKeyId, histogram, _histogram[0], _damaged, primaryKeyId, withKeys ? _undecryptable : null)
        {
            Principals = withKeys ? _principals : null,
            BoundSessions = withKeys ? _boundSessions : null,
        };
    }

    private int BucketOf(DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (expiresAt is not { } at) return _histogram.Length - 1;
        TimeSpan left = at - now;
        if (left <= TimeSpan.Zero) return 0;
        for (int i = 0; i < s_buckets.Length; i++)
        {
            if (left <= s_buckets[i].Limit) return i + 1;
        }

        return _histogram.Length - 2;
    }
}
