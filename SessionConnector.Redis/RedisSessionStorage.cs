using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Redis.Internal;
using SessionConnector.Storage;
using StackExchange.Redis;

namespace SessionConnector.Redis;

/// <summary>
/// Session storage in Redis, a single server or Redis Cluster. Each record is a hash under
/// <see cref="RedisSessionStorageOptions.KeyPrefix"/> plus the derived storage key, written by a Lua compare-and-set
/// script and expired by Redis's native TTL. Every change is announced on a pub/sub channel so other nodes evict their
/// cached copies. Create one with <see cref="Connect(RedisSessionStorageOptions)"/> or
/// <see cref="ConnectAsync(RedisSessionStorageOptions, CancellationToken)"/>.
/// </summary>
/// <remarks>
/// <para>A connection this storage creates fails fast while Redis is unreachable (<see cref="BacklogPolicy.FailFast"/>):
/// commands throw <see cref="SessionStorageException"/> at once instead of queueing in memory without bound, and the
/// connection is re-established in the background.</para>
/// <para>While the invalidation subscription is down the connector's cache is emptied every
/// <see cref="RedisSessionStorageOptions.StaleCacheClearInterval"/>, and for a grace period after it is back, because
/// pub/sub delivers at most once and messages sent meanwhile are lost.</para>
/// </remarks>
public sealed partial class RedisSessionStorage : SessionStorage
{
    /// <summary>Length of a storage key: the unpadded base64url of a 32-byte keyed hash.</summary>
    private const int StorageKeyLength = 43;

    private const int ClearBatchSize = 256;

    private static readonly RedisValue[] s_recordFields = ["d", "v", "e"];

    private readonly IConnectionMultiplexer _multiplexer;
    private readonly bool _ownsMultiplexer;
    private readonly IDatabase _database;
    private readonly string _keyPrefix;
    private readonly RedisValue _channelName;
    private readonly string _nodeId;
    private readonly TimeSpan _connectTimeout;
    private readonly int _waitForReplicas;
    private readonly object[] _waitArguments;
    private readonly RedisMetrics _metrics;
    private int _disposed;

    // No I/O here: Connect/ConnectAsync open the connection and subscribe.
    private RedisSessionStorage(RedisSessionStorageOptions options, IConnectionMultiplexer multiplexer, bool ownsMultiplexer)
    {
        _multiplexer = multiplexer;
        _ownsMultiplexer = ownsMultiplexer;
        _keyPrefix = options.KeyPrefix!;
        ChannelName = options.InvalidationChannel ?? _keyPrefix + "invalidate";
        _channelName = ChannelName;
        _database = multiplexer.GetDatabase(options.Database);
        _connectTimeout = options.ConnectTimeout;
        _staleInterval = options.StaleCacheClearInterval;
        _waitForReplicas = options.WaitForReplicas;
        _waitArguments = [options.WaitForReplicas, (long)options.ReplicaWaitTimeout.TotalMilliseconds];
        _metrics = new RedisMetrics(_keyPrefix, options.MeterFactory);
        // Random per instance, so a node recognises (and ignores) its own invalidations even when two run in one process.
        _nodeId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        Location = LocationOf(multiplexer, _database.Database, _keyPrefix);
    }

    /// <inheritdoc />
    public override string Kind => "redis";

    /// <inheritdoc />
    public override bool RaisesInvalidations => true;

    /// <summary>The prefix of every key this storage owns.</summary>
    public string KeyPrefix => _keyPrefix;

    /// <summary>
    /// <c>redis://</c>, the configured endpoints (sorted; no password, no discovered cluster nodes), the database and the
    /// key prefix: two storages with the same location share their records.
    /// </summary>
    public override string Location { get; }

    /// <summary>The pub/sub channel carrying invalidations.</summary>
    public string ChannelName { get; }

    /// <summary>The connection in use.</summary>
    public IConnectionMultiplexer Multiplexer => _multiplexer;

    /// <summary>How many replicas confirm each write before it returns (<see cref="RedisSessionStorageOptions.WaitForReplicas"/>).</summary>
    public int WaitForReplicas => _waitForReplicas;

    /// <summary>The Redis key that holds the record for <paramref name="storageKey"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="storageKey"/> is not a storage key (43 base64url characters).</exception>
    public RedisKey RedisKeyFor(string storageKey)
    {
        ArgumentNullException.ThrowIfNull(storageKey);
        if (!IsStorageKey(storageKey))
        {
            throw new ArgumentException($"A storage key is {StorageKeyLength} base64url characters (a keyed hash of the session ID).", nameof(storageKey));
        }

        return _keyPrefix + storageKey;
    }

    /// <summary>True when <paramref name="key"/> is a record of this storage (the prefix, then exactly a storage key), and gives that storage key.</summary>
    internal bool TryGetStorageKey(RedisKey key, out string storageKey)
    {
        string? text = key;
        storageKey = string.Empty;
        if (text is null || text.Length != _keyPrefix.Length + StorageKeyLength || !text.StartsWith(_keyPrefix, StringComparison.Ordinal)) return false;
        string candidate = text[_keyPrefix.Length..];
        if (!IsStorageKey(candidate)) return false;
        storageKey = candidate;
        return true;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !disposing) return;
        StopInvalidations();
        if (_ownsMultiplexer) _multiplexer.Dispose();
        _metrics.Dispose();
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        StopInvalidations();
        if (_ownsMultiplexer) await _multiplexer.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
        GC.SuppressFinalize(this);
    }
}
