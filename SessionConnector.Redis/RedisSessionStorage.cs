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

    /// <summary>
    /// Connects to Redis (<see cref="RedisSessionStorageOptions.Configuration"/>) or uses the application's
    /// <see cref="RedisSessionStorageOptions.Multiplexer"/>, and subscribes to the invalidation channel.
    /// </summary>
    /// <exception cref="ArgumentException">Neither or both of Configuration and Multiplexer are set, or the prefix is missing or has a hash tag.</exception>
    /// <exception cref="SessionStorageException">Redis could not be reached to subscribe.</exception>
    public static RedisSessionStorage Connect(RedisSessionStorageOptions options) => Sync.Result(ConnectCore(options, async: false, default));

    /// <summary>Connects with a configuration string and this application's key prefix; see <see cref="Connect(RedisSessionStorageOptions)"/>.</summary>
    public static RedisSessionStorage Connect(string configuration, string keyPrefix) =>
        Connect(new RedisSessionStorageOptions { Configuration = configuration, KeyPrefix = keyPrefix });

    /// <summary>Connects asynchronously; see <see cref="Connect(RedisSessionStorageOptions)"/>.</summary>
    public static async Task<RedisSessionStorage> ConnectAsync(RedisSessionStorageOptions options, CancellationToken cancellationToken = default) =>
        await ConnectCore(options, async: true, cancellationToken).ConfigureAwait(false);

    private static async ValueTask<RedisSessionStorage> ConnectCore(RedisSessionStorageOptions options, bool async, CancellationToken cancellationToken)
    {
        Validate(options);
        cancellationToken.ThrowIfCancellationRequested();
        IConnectionMultiplexer? owned = null;
        if (options.Multiplexer is null)
        {
            ConfigurationOptions configuration = CreateConfiguration(options);
            try
            {
                owned = async
                    ? await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false)
                    : ConnectionMultiplexer.Connect(configuration);
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                throw Failure("connect", e);
            }
        }

        var storage = new RedisSessionStorage(options, owned ?? options.Multiplexer!, ownsMultiplexer: owned is not null);
        try
        {
            storage.RefuseDatabaseOnCluster(options.Database);
            await storage.StartInvalidations(async, cancellationToken).ConfigureAwait(false);
            return storage;
        }
        catch
        {
            storage.Dispose();
            throw;
        }
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

    private static bool IsStorageKey(string key)
    {
        if (key.Length != StorageKeyLength) return false;
        foreach (char c in key)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_')) return false;
        }

        return true;
    }

    private static void Validate(RedisSessionStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((options.Configuration is null) == (options.Multiplexer is null))
        {
            throw new ArgumentException("Set exactly one of RedisSessionStorageOptions.Configuration and RedisSessionStorageOptions.Multiplexer.", nameof(options));
        }

        if (string.IsNullOrEmpty(options.KeyPrefix))
        {
            throw new ArgumentException(
                "RedisSessionStorageOptions.KeyPrefix is required: choose one per application (e.g. \"myapp:sess:\"), so Clear cannot touch another application's sessions.",
                nameof(options));
        }

        if (options.KeyPrefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            throw new ArgumentException("KeyPrefix must not contain '{' or '}': a hash tag would put every session in one Redis Cluster slot.", nameof(options));
        }

        if (options.OperationTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "OperationTimeout must be positive.");
        if (options.ConnectTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "ConnectTimeout must be positive.");
        if (options.StaleCacheClearInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "StaleCacheClearInterval must be positive.");
        if (options.WaitForReplicas < 0) throw new ArgumentOutOfRangeException(nameof(options), "WaitForReplicas must not be negative.");
        if (options.WaitForReplicas > 0 && (options.ReplicaWaitTimeout <= TimeSpan.Zero || options.ReplicaWaitTimeout >= options.OperationTimeout))
        {
            // WAIT holds the connection until it returns; a timeout past the command timeout would fail every write that waits that long.
            throw new ArgumentOutOfRangeException(nameof(options), "ReplicaWaitTimeout must be positive and shorter than OperationTimeout.");
        }
    }

    private static string LocationOf(IConnectionMultiplexer multiplexer, int database, string keyPrefix)
    {
        EndPoint[] configured = multiplexer.GetEndPoints(configuredOnly: true);
        var endpoints = new string[configured.Length];
        for (int i = 0; i < configured.Length; i++)
        {
            endpoints[i] = configured[i] switch
            {
                DnsEndPoint dns => dns.Host + ":" + dns.Port.ToString(CultureInfo.InvariantCulture),
                IPEndPoint ip => ip.ToString(),
                EndPoint other => other.ToString() ?? "",
            };
        }

        Array.Sort(endpoints, StringComparer.OrdinalIgnoreCase);
        return "redis://" + string.Join(",", endpoints) + "/" + Math.Max(database, 0).ToString(CultureInfo.InvariantCulture) + "/" + keyPrefix;
    }

    /// <summary>
    /// Redis Cluster has database 0 only. StackExchange.Redis would fail every command later with a generic error; refuse
    /// the option at connect time instead, naming it.
    /// </summary>
    private void RefuseDatabaseOnCluster(int database)
    {
        if (database <= 0) return;
        foreach (EndPoint endpoint in _multiplexer.GetEndPoints())
        {
            if (_multiplexer.GetServer(endpoint).ServerType == ServerType.Cluster)
            {
                throw new ArgumentException(
                    $"RedisSessionStorageOptions.Database is {database.ToString(CultureInfo.InvariantCulture)}, but the server is a Redis Cluster, which has only database 0. " +
                    "Leave Database unset and give each application its own KeyPrefix.", "options");
            }
        }
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

    // ---- records ------------------------------------------------------------------------------------------
    // Each operation is written once, as a core taking `bool async` (System.Net.Http's SendAsync pattern): the sync
    // twin runs it with async: false, where nothing awaits an incomplete task, so it completes synchronously and the
    // ValueTask allocates nothing.

    /// <inheritdoc />
    public override StoredRecord? Read(string key) => Sync.Result(ReadCore(key, async: false, default));

    /// <inheritdoc />
    public override ValueTask<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => ReadCore(key, async: true, cancellationToken);

    private async ValueTask<StoredRecord?> ReadCore(string key, bool async, CancellationToken cancellationToken)
    {
        RedisKey redisKey = RedisKeyFor(key);
        RedisValue[] fields;
        try
        {
            fields = async
                ? await _database.HashGetAsync(redisKey, s_recordFields).WaitAsync(cancellationToken).ConfigureAwait(false)
                : _database.HashGet(redisKey, s_recordFields);
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failed("read", e);
        }

        return ToRecord(fields);
    }

    /// <inheritdoc />
    /// <exception cref="SessionStorageException">Redis failed, or (with <see cref="RedisSessionStorageOptions.WaitForReplicas"/>) the replicas did not confirm the write in time.</exception>
    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion) =>
        Sync.Result(EvaluateCore("write", RedisScripts.Write, key, WriteArguments(key, value, expiresAt, expectedVersion, newVersion), async: false, default)) == 1;

    /// <inheritdoc />
    /// <remarks>Cancellation stops the wait, not the command: a cancelled write may still have been applied.</remarks>
    public override async ValueTask<bool> TryWriteAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RedisValue[] args = WriteArguments(key, value, expiresAt, expectedVersion, newVersion);
        return await EvaluateCore("write", RedisScripts.Write, key, args, async: true, cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public override bool Delete(string key) => Sync.Result(EvaluateCore("delete", RedisScripts.Delete, key, DeleteArguments(key), async: false, default)) > 0;

    /// <inheritdoc />
    public override async ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await EvaluateCore("delete", RedisScripts.Delete, key, DeleteArguments(key), async: true, cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public override bool TryDelete(string key, long expectedVersion) =>
        Sync.Result(EvaluateCore("delete", RedisScripts.TryDelete, key, TryDeleteArguments(key, expectedVersion), async: false, default)) == 1;

    /// <inheritdoc />
    public override async ValueTask<bool> TryDeleteAsync(string key, long expectedVersion, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await EvaluateCore("delete", RedisScripts.TryDelete, key, TryDeleteArguments(key, expectedVersion), async: true, cancellationToken).ConfigureAwait(false) == 1;
    }

    private RedisValue[] TryDeleteArguments(string key, long expectedVersion) =>
        [expectedVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), _channelName, InvalidationMessage.ForKey(_nodeId, key, 0)];

    /// <summary>Runs a one-key script; with <see cref="WaitForReplicas"/>, returns only once the replicas confirmed what it changed.</summary>
    private async ValueTask<long> EvaluateCore(string operation, RedisScript script, string key, RedisValue[] args, bool async, CancellationToken cancellationToken)
    {
        RedisKey redisKey = RedisKeyFor(key);
        try
        {
            if (_waitForReplicas == 0)
            {
                RedisResult result = async
                    ? await _database.ScriptEvaluateAsync(script.Text, [redisKey], args).WaitAsync(cancellationToken).ConfigureAwait(false)
                    : _database.ScriptEvaluate(script.Text, [redisKey], args);
                return (long)result;
            }

            // WAIT confirms the writes made on the connection it runs on, so the script and the WAIT go to the same
            // server object (one connection per server). The script declines the client's automatic redirect, which
            // would run it on another node than the WAIT; a MOVED is followed here instead, WAIT included.
            IServer server = PrimaryFor(redisKey, operation);
            long changed;
            for (int redirects = 0; ; redirects++)
            {
                try
                {
                    changed = await EvaluateOnServer(server, script, redisKey, args, async, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (RedisServerException e) when (redirects < MaxRedirects && MovedTo(e) is { } target)
                {
                    // The slot moved (a failover): the script did not run. Run it, and WAIT, where the cluster says.
                    server = target;
                }
            }

            if (changed > 0) await ConfirmReplicated(server, operation, async, cancellationToken).ConfigureAwait(false);
            return changed;
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failed(operation, e);
        }
    }

    private const int MaxRedirects = 2;

    private IServer PrimaryFor(RedisKey key, string operation)
    {
        try
        {
            return _multiplexer.GetServer(key, flags: CommandFlags.DemandMaster);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            // No primary known for the slot (cluster down, mid-failover) or a proxy that cannot name one: a Redis
            // failure like any other, never a raw exception.
            throw Failed(operation, e);
        }
    }

    /// <summary>
    /// The server a redirect names: the client words a declined <c>MOVED slot host:port</c> as "Key has MOVED to
    /// Endpoint host:port and hashslot N ...". Null for any other error or an unknown server.
    /// </summary>
    private IServer? MovedTo(RedisServerException e)
    {
        const string Client = "Key has MOVED to Endpoint ";
        string message = e.Message;
        string? endpoint = null;
        if (message.StartsWith(Client, StringComparison.Ordinal))
        {
            int end = message.IndexOf(' ', Client.Length);
            endpoint = end < 0 ? null : message[Client.Length..end];
        }
        else if (message.StartsWith("MOVED ", StringComparison.Ordinal))
        {
            endpoint = message[(message.LastIndexOf(' ') + 1)..];
        }

        if (endpoint is null) return null;
        try
        {
            return _multiplexer.GetServer(endpoint);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static async ValueTask<long> EvaluateOnServer(IServer server, RedisScript script, RedisKey key, RedisValue[] args, bool async, CancellationToken cancellationToken)
    {
        var arguments = new object[3 + args.Length];
        arguments[0] = script.Sha1;
        arguments[1] = 1;
        arguments[2] = key;
        for (int i = 0; i < args.Length; i++) arguments[3 + i] = args[i];
        try
        {
            return (long)await Execute(server, "EVALSHA", arguments, async, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // This server has not seen the script yet (a new or promoted node): send it once in full.
            arguments[0] = script.Text;
            return (long)await Execute(server, "EVAL", arguments, async, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask ConfirmReplicated(IServer server, string operation, bool async, CancellationToken cancellationToken)
    {
        long confirmed = (long)await Execute(server, "WAIT", _waitArguments, async, cancellationToken).ConfigureAwait(false);
        if (confirmed >= _waitForReplicas) return;
        _metrics.UnconfirmedWrite();
        throw Failed(operation, new SessionStorageException(
            $"{confirmed} of {_waitForReplicas} replicas confirmed it within {_waitArguments[1]} ms. It was applied on the primary ({server.EndPoint}) and may be lost if that primary fails before it replicates."));
    }

    private static async ValueTask<RedisResult> Execute(IServer server, string command, object[] arguments, bool async, CancellationToken cancellationToken)
    {
        RedisResult? result = async
            ? await server.ExecuteAsync(command, arguments, CommandFlags.NoRedirect).WaitAsync(cancellationToken).ConfigureAwait(false)
            : server.Execute(command, arguments, CommandFlags.NoRedirect);
        // During a failover the client can complete a command on a dying connection with no reply at all; that is a
        // failed command (a typed storage error for the caller), not a result to convert.
        return result ?? throw new RedisConnectionException(ConnectionFailureType.SocketFailure, $"{command} got no reply from {server.EndPoint}.");
    }

    /// <inheritdoc />
    /// <remarks>
    /// Walks the key space with SCAN (never KEYS) on every primary, deletes the keys of exactly this storage's shape
    /// (the prefix, then a 43-character storage key: another application whose prefix merely starts with this one is
    /// untouched) and tells other nodes to empty their caches.
    /// </remarks>
    public override void Clear() => Sync.Wait(ClearCore(async: false, default));

    /// <inheritdoc />
    public override ValueTask ClearAsync(CancellationToken cancellationToken = default) => ClearCore(async: true, cancellationToken);

    private async ValueTask ClearCore(bool async, CancellationToken cancellationToken)
    {
        try
        {
            RedisValue pattern = ScanPattern();
            var batch = new List<Task>(ClearBatchSize);
            foreach (IServer server in PrimaryServers())
            {
                if (async)
                {
                    await foreach (RedisKey key in server.KeysAsync(_database.Database, pattern, ClearBatchSize).WithCancellation(cancellationToken).ConfigureAwait(false))
                    {
                        await DeleteInBatch(batch, key, async, cancellationToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    foreach (RedisKey key in server.Keys(_database.Database, pattern, ClearBatchSize))
                    {
                        await DeleteInBatch(batch, key, async, cancellationToken).ConfigureAwait(false);
                    }
                }

                await WaitBatch(batch, async, cancellationToken).ConfigureAwait(false);
                // The deletes went over this server's connection, so one WAIT there confirms all of them.
                if (_waitForReplicas > 0) await ConfirmReplicated(server, "clear", async, cancellationToken).ConfigureAwait(false);
            }

            RedisChannel channel = RedisChannel.Literal(ChannelName);
            string message = InvalidationMessage.ForAll(_nodeId);
            if (async) await _database.PublishAsync(channel, message).WaitAsync(cancellationToken).ConfigureAwait(false);
            else _database.Publish(channel, message);
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failed("clear", e);
        }
    }

    private ValueTask DeleteInBatch(List<Task> batch, RedisKey key, bool async, CancellationToken cancellationToken)
    {
        // SCAN MATCH already filters by shape; the check here keeps Clear exact even against a glob surprise.
        if (!TryGetStorageKey(key, out _)) return default;
        // Pipelined single-key deletes: safe on a cluster, where one multi-key DEL may span slots.
        batch.Add(_database.KeyDeleteAsync(key));
        return batch.Count == ClearBatchSize ? WaitBatch(batch, async, cancellationToken) : default;
    }

    private static async ValueTask WaitBatch(List<Task> batch, bool async, CancellationToken cancellationToken)
    {
        if (batch.Count == 0) return;
        Task all = Task.WhenAll(batch);
        if (async) await all.WaitAsync(cancellationToken).ConfigureAwait(false);
        // The one place a sync path blocks on a task: the sync Clear pipelines its deletes (one round trip a batch, not
        // one a key). Blocking is safe: the client completes these tasks from its own socket reader, never on this
        // thread or a context it holds, which is how StackExchange.Redis's sync commands wait for their replies too.
        else all.GetAwaiter().GetResult();
        batch.Clear();
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

    private IEnumerable<IServer> PrimaryServers()
    {
        foreach (IServer server in _multiplexer.GetServers())
        {
            if (!server.IsReplica) yield return server;
        }
    }

    /// <summary>
    /// The SCAN pattern of this storage's records: the prefix with glob metacharacters escaped, then exactly 43
    /// base64url characters. A bare <c>prefix*</c> would also match another application whose prefix starts with ours.
    /// </summary>
    private RedisValue ScanPattern()
    {
        const string StorageKeyChar = "[-_0-9A-Za-z]";
        var pattern = new StringBuilder(_keyPrefix.Length * 2 + StorageKeyLength * StorageKeyChar.Length);
        foreach (char c in _keyPrefix)
        {
            if (c is '*' or '?' or '[' or ']' or '\\') pattern.Append('\\');
            pattern.Append(c);
        }

        for (int i = 0; i < StorageKeyLength; i++) pattern.Append(StorageKeyChar);
        return pattern.ToString();
    }

    private RedisValue[] WriteArguments(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        ArgumentNullException.ThrowIfNull(key);
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

    private RedisValue[] DeleteArguments(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return [_channelName, InvalidationMessage.ForKey(_nodeId, key, 0)];
    }

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

    // RedisTimeoutException is a TimeoutException: OperationTimeout (or ConnectTimeout) ran out, which a caller (and the
    // connector's sessionconnector.storage.timeouts counter) tells apart from an unreachable server by IsTimeout.
    private static SessionStorageException Failure(string operation, Exception inner) =>
        new($"Redis session storage could not {operation}: {inner.Message}", inner)
        {
            StorageKind = "redis",
            Operation = operation,
            IsTimeout = inner is TimeoutException,
        };

    /// <summary><see cref="Failure"/>, counted on the meter.</summary>
    private SessionStorageException Failed(string operation, Exception inner)
    {
        _metrics.Failure(operation);
        return Failure(operation, inner);
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
