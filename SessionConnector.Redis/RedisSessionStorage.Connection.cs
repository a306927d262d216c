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

// Connecting: option validation, the connection and subscription, the location string and cluster checks.
public sealed partial class RedisSessionStorage
{
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
}
