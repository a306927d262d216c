using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis.Internal;
using SessionConnector.Storage;
using StackExchange.Redis;

namespace SessionConnector.Redis;

/// <summary>
/// Session storage in Redis. Each record is a hash under <see cref="RedisSessionStorageOptions.KeyPrefix"/> plus the
/// derived storage key, written by a Lua compare-and-set script and expired by Redis's native TTL. Every change is
/// announced on a pub/sub channel so other nodes evict their cached copies.
/// </summary>
/// <remarks>
/// <para>A connection this storage creates fails fast while Redis is unreachable (<see cref="BacklogPolicy.FailFast"/>):
/// commands throw <see cref="SessionStorageException"/> at once instead of queueing in memory without bound, and the
/// connection is re-established in the background.</para>
/// <para>While the invalidation subscription is down the connector's cache is emptied every
/// <see cref="RedisSessionStorageOptions.StaleCacheClearInterval"/>, and once more after it is back, because pub/sub
/// delivers at most once and messages sent meanwhile are lost.</para>
/// </remarks>
public sealed partial class RedisSessionStorage : SessionStorage
{
    private static readonly RedisValue[] s_recordFields = ["d", "v", "e"];

    private readonly IConnectionMultiplexer _multiplexer;
    private readonly bool _ownsMultiplexer;
    private readonly IDatabase _database;
    private readonly string _keyPrefix;
    private readonly RedisValue _channelName;
    private readonly string _nodeId;
    private readonly TimeSpan _connectTimeout;
    private int _disposed;

    /// <summary>
    /// Connects to Redis (<see cref="RedisSessionStorageOptions.Configuration"/>) or uses
    /// <see cref="RedisSessionStorageOptions.Multiplexer"/>, and subscribes to the invalidation channel.
    /// </summary>
    /// <exception cref="ArgumentException">Neither or both of Configuration and Multiplexer are set, or the prefix is empty.</exception>
    /// <exception cref="SessionStorageException">Redis could not be reached to subscribe.</exception>
    public RedisSessionStorage(RedisSessionStorageOptions options)
        : this(options, Validate(options).Multiplexer ?? ConnectOwned(options), ownsMultiplexer: options.Multiplexer is null)
    {
    }

    /// <summary>Connects with the given configuration string and key prefix; see <see cref="RedisSessionStorage(RedisSessionStorageOptions)"/>.</summary>
    public RedisSessionStorage(string configuration, string keyPrefix = "sc:")
        : this(new RedisSessionStorageOptions { Configuration = configuration, KeyPrefix = keyPrefix })
    {
    }

    private RedisSessionStorage(RedisSessionStorageOptions options, IConnectionMultiplexer multiplexer, bool ownsMultiplexer)
    {
        _multiplexer = multiplexer;
        _ownsMultiplexer = ownsMultiplexer;
        _keyPrefix = options.KeyPrefix;
        ChannelName = options.InvalidationChannel ?? options.KeyPrefix + "invalidate";
        _channelName = ChannelName;
        _database = multiplexer.GetDatabase(options.Database);
        _connectTimeout = options.ConnectTimeout;
        // Random per instance, so a node recognises (and ignores) its own invalidations even when two run in one process.
        _nodeId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        try
        {
            StartInvalidations(options.StaleCacheClearInterval);
        }
        catch
        {
            if (_ownsMultiplexer) _multiplexer.Dispose();
            throw;
        }
    }

    /// <summary>Connects asynchronously; see <see cref="RedisSessionStorage(RedisSessionStorageOptions)"/>.</summary>
    public static async Task<RedisSessionStorage> ConnectAsync(RedisSessionStorageOptions options)
    {
        Validate(options);
        IConnectionMultiplexer multiplexer = options.Multiplexer
            ?? await ConnectionMultiplexer.ConnectAsync(CreateConfiguration(options)).ConfigureAwait(false);
        return new RedisSessionStorage(options, multiplexer, ownsMultiplexer: options.Multiplexer is null);
    }

    /// <inheritdoc />
    public override string Kind => "redis";

    /// <inheritdoc />
    public override bool RaisesInvalidations => true;

    /// <summary>The prefix of every key this storage owns.</summary>
    public string KeyPrefix => _keyPrefix;

    /// <summary>The pub/sub channel carrying invalidations.</summary>
    public string ChannelName { get; }

    /// <summary>The connection in use.</summary>
    public IConnectionMultiplexer Multiplexer => _multiplexer;

    /// <summary>The Redis key that holds the record for <paramref name="storageKey"/>.</summary>
    public RedisKey RedisKeyFor(string storageKey) => _keyPrefix + storageKey;

    private static RedisSessionStorageOptions Validate(RedisSessionStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((options.Configuration is null) == (options.Multiplexer is null))
        {
            throw new ArgumentException("Set exactly one of RedisSessionStorageOptions.Configuration and RedisSessionStorageOptions.Multiplexer.", nameof(options));
        }

        if (string.IsNullOrEmpty(options.KeyPrefix)) throw new ArgumentException("KeyPrefix must not be empty: Clear would remove every key in the database.", nameof(options));
        if (options.OperationTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "OperationTimeout must be positive.");
        if (options.ConnectTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "ConnectTimeout must be positive.");
        if (options.StaleCacheClearInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "StaleCacheClearInterval must be positive.");
        return options;
    }

    private static ConfigurationOptions CreateConfiguration(RedisSessionStorageOptions options)
    {
        ConfigurationOptions config = ConfigurationOptions.Parse(options.Configuration!);
        // Keep retrying in the background instead of failing start-up or dying on the first lost connection.
        config.AbortOnConnectFail = false;
        // Fail fast while disconnected: a queue of commands waiting for Redis would grow without bound under load.
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        config.SyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        config.AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        config.ClientName ??= "SessionConnector";
        // Retry soon after a restart (from 250 ms, backing off to 5 s) rather than the client's slower default.
        config.ReconnectRetryPolicy ??= new ExponentialRetry(250, 5000);
        return config;
    }

    private static IConnectionMultiplexer ConnectOwned(RedisSessionStorageOptions options)
    {
        try
        {
            return ConnectionMultiplexer.Connect(CreateConfiguration(options));
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            throw Failure("connect", e);
        }
    }

    // ---- records ------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public override StoredRecord? Read(string key)
    {
        RedisValue[] fields;
        try
        {
            fields = _database.HashGet(RedisKeyFor(key), s_recordFields);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            throw Failure("read", e);
        }

        return ToRecord(fields);
    }

    /// <inheritdoc />
    public override async ValueTask<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        RedisValue[] fields;
        try
        {
            fields = await _database.HashGetAsync(RedisKeyFor(key), s_recordFields).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failure("read", e);
        }

        return ToRecord(fields);
    }

    /// <inheritdoc />
    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        ArgumentNullException.ThrowIfNull(key);
        RedisValue[] args = WriteArguments(key, value, expiresAt, expectedVersion, newVersion);
        try
        {
            return (long)_database.ScriptEvaluate(RedisScripts.Write, [RedisKeyFor(key)], args) == 1;
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            throw Failure("write", e);
        }
    }

    /// <inheritdoc />
    /// <remarks>Cancellation stops the wait, not the command: a cancelled write may still have been applied.</remarks>
    public override async ValueTask<bool> TryWriteAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        RedisValue[] args = WriteArguments(key, value, expiresAt, expectedVersion, newVersion);
        try
        {
            RedisResult result = await _database.ScriptEvaluateAsync(RedisScripts.Write, [RedisKeyFor(key)], args).WaitAsync(cancellationToken).ConfigureAwait(false);
            return (long)result == 1;
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failure("write", e);
        }
    }

    /// <inheritdoc />
    public override bool Delete(string key)
    {
        try
        {
            return (long)_database.ScriptEvaluate(RedisScripts.Delete, [RedisKeyFor(key)], DeleteArguments(key)) > 0;
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            throw Failure("delete", e);
        }
    }

    /// <inheritdoc />
    public override async ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            RedisResult result = await _database.ScriptEvaluateAsync(RedisScripts.Delete, [RedisKeyFor(key)], DeleteArguments(key)).WaitAsync(cancellationToken).ConfigureAwait(false);
            return (long)result > 0;
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failure("delete", e);
        }
    }

    /// <inheritdoc />
    /// <remarks>Walks the key space with SCAN (never KEYS) on every primary, deletes the keys with this prefix and tells other nodes to empty their caches.</remarks>
    public override void Clear()
    {
        try
        {
            RedisValue pattern = ScanPattern();
            var batch = new List<Task>(ClearBatchSize);
            foreach (IServer server in PrimaryServers())
            {
                foreach (RedisKey key in server.Keys(_database.Database, pattern, ClearBatchSize))
                {
                    // Pipelined single-key deletes: safe on a cluster, where one multi-key DEL may span slots.
                    batch.Add(_database.KeyDeleteAsync(key));
                    if (batch.Count == ClearBatchSize) WaitBatch(batch);
                }
            }

            WaitBatch(batch);
            _database.Publish(RedisChannel.Literal(ChannelName), InvalidationMessage.ForAll(_nodeId));
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            throw Failure("clear", e);
        }
        catch (AggregateException e) when (e.InnerException is { } inner && IsRedisFailure(inner))
        {
            throw Failure("clear", inner);
        }
    }

    /// <inheritdoc />
    public override async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            RedisValue pattern = ScanPattern();
            var batch = new List<Task>(ClearBatchSize);
            foreach (IServer server in PrimaryServers())
            {
                await foreach (RedisKey key in server.KeysAsync(_database.Database, pattern, ClearBatchSize).WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    batch.Add(_database.KeyDeleteAsync(key));
                    if (batch.Count == ClearBatchSize)
                    {
                        await Task.WhenAll(batch).WaitAsync(cancellationToken).ConfigureAwait(false);
                        batch.Clear();
                    }
                }
            }

            await Task.WhenAll(batch).WaitAsync(cancellationToken).ConfigureAwait(false);
            await _database.PublishAsync(RedisChannel.Literal(ChannelName), InvalidationMessage.ForAll(_nodeId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failure("clear", e);
        }
    }

    /// <inheritdoc />
    /// <remarks>Redis writes through; there is nothing to flush.</remarks>
    public override void Flush() { }

    /// <inheritdoc />
    /// <remarks>Redis writes through; there is nothing to flush.</remarks>
    public override ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return default;
    }

    private const int ClearBatchSize = 256;

    private static void WaitBatch(List<Task> batch)
    {
        if (batch.Count == 0) return;
        Task.WaitAll(batch.ToArray());
        batch.Clear();
    }

    private IEnumerable<IServer> PrimaryServers()
    {
        foreach (IServer server in _multiplexer.GetServers())
        {
            if (!server.IsReplica) yield return server;
        }
    }

    /// <summary>The SCAN pattern for this prefix, with glob metacharacters in the prefix escaped.</summary>
    private RedisValue ScanPattern()
    {
        var pattern = new System.Text.StringBuilder(_keyPrefix.Length + 2);
        foreach (char c in _keyPrefix)
        {
            if (c is '*' or '?' or '[' or ']' or '\\') pattern.Append('\\');
            pattern.Append(c);
        }

        return pattern.Append('*').ToString();
    }

    private RedisValue[] WriteArguments(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        if (newVersion <= 0) throw new ArgumentOutOfRangeException(nameof(newVersion), newVersion, "Versions are positive.");
        if (expectedVersion < AnyVersion) throw new ArgumentOutOfRangeException(nameof(expectedVersion), expectedVersion, "Unknown expected version.");
        // 0 means "no expiry" to the script, so an expiry at the epoch itself becomes 1 ms after it (already past either way).
        long expiresMs = expiresAt is { } at ? Math.Max(at.ToUnixTimeMilliseconds(), 1) : 0;
        return
        [
            expectedVersion.ToString(CultureInfo.InvariantCulture),
            newVersion.ToString(CultureInfo.InvariantCulture),
            value,
            expiresMs.ToString(CultureInfo.InvariantCulture),
            _channelName,
            InvalidationMessage.ForKey(_nodeId, key, newVersion),
        ];
    }

    private RedisValue[] DeleteArguments(string key) => [_channelName, InvalidationMessage.ForKey(_nodeId, key, 0)];

    private static StoredRecord? ToRecord(RedisValue[] fields)
    {
        if (fields.Length != 3 || fields[0].IsNull) return null;
        if (!long.TryParse((string?)fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long version) || version <= 0)
        {
            throw new SessionStorageException("A Redis session record has no valid version; another program may be writing under this key prefix.");
        }

        long expiresMs = fields[2].IsNull ? 0 : long.TryParse((string?)fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long ms) ? ms : 0;
        DateTimeOffset? expiresAt = expiresMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(expiresMs) : null;
        return new StoredRecord((byte[])fields[0]!, version, expiresAt);
    }

    // The client also cancels commands it had queued when their connection drops (a TaskCanceledException the caller
    // never asked for), so a cancellation counts as a Redis failure unless the caller's own token requested it.
    private static bool IsRedisFailure(Exception e, CancellationToken callerToken = default) =>
        e is RedisException or TimeoutException || (e is OperationCanceledException && !callerToken.IsCancellationRequested);

    private static SessionStorageException Failure(string operation, Exception inner) =>
        new($"Redis session storage could not {operation}: {inner.Message}", inner);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !disposing) return;
        StopInvalidations();
        if (_ownsMultiplexer) _multiplexer.Dispose();
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        StopInvalidations();
        if (_ownsMultiplexer) await _multiplexer.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
