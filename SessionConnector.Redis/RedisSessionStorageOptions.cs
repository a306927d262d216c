using System;
using SessionConnector.Storage;
using StackExchange.Redis;

namespace SessionConnector.Redis;

/// <summary>Options for <see cref="RedisSessionStorage"/>.</summary>
public sealed class RedisSessionStorageOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string (e.g. <c>"127.0.0.1:6379,password=..."</c>). Used when
    /// <see cref="Multiplexer"/> is null; the storage then owns the connection and closes it on dispose.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// An existing connection to share. The storage does not dispose it, and its own settings (backlog policy,
    /// timeouts) apply instead of <see cref="OperationTimeout"/> and <see cref="ConnectTimeout"/>.
    /// </summary>
    public IConnectionMultiplexer? Multiplexer { get; set; }

    /// <summary>
    /// Prefix of every key this storage writes, one per application (default <c>"sc:"</c>). <c>Clear</c> removes only
    /// keys with this prefix.
    /// </summary>
    public string KeyPrefix { get; set; } = "sc:";

    /// <summary>The pub/sub channel for cache invalidations; null means <see cref="KeyPrefix"/> + <c>"invalidate"</c>.</summary>
    public string? InvalidationChannel { get; set; }

    /// <summary>The database number; -1 (the default) uses the connection's default database.</summary>
    public int Database { get; set; } = -1;

    /// <summary>How long one command may take before it fails with <see cref="SessionStorageException"/> (default 2 s).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a connection attempt may take (default 5 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// While the invalidation subscription is down, how often the connector's cache is emptied (default 100 ms),
    /// so a disconnected node serves cached sessions for at most about this long without hearing about changes.
    /// </summary>
    public TimeSpan StaleCacheClearInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}
