using System;
using System.Diagnostics.Metrics;
using SessionConnector.Storage;
using StackExchange.Redis;

namespace SessionConnector.Redis;

/// <summary>Options for <see cref="RedisSessionStorage.Connect(RedisSessionStorageOptions)"/>.</summary>
public sealed class RedisSessionStorageOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string (e.g. <c>"127.0.0.1:6379,password=..."</c>, or several cluster nodes
    /// separated by commas). Used when <see cref="Multiplexer"/> is null; the storage then owns the connection and
    /// closes it on dispose.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// A connection the application already owns, to share. The storage does not dispose it, and its own settings
    /// (backlog policy, timeouts) apply instead of <see cref="OperationTimeout"/> and <see cref="ConnectTimeout"/>.
    /// </summary>
    public IConnectionMultiplexer? Multiplexer { get; set; }

    /// <summary>
    /// Prefix of every key this storage writes, one per application (e.g. <c>"myapp:sess:"</c>). Required: there is no
    /// shared default, so two applications on one Redis cannot clear each other's sessions by accident. A record's key
    /// is exactly the prefix plus a 43-character storage key, and <c>Clear</c> deletes only keys of that exact shape,
    /// so a prefix that starts another prefix (<c>"sc:"</c> and <c>"sc:admin:"</c>) cannot match the other's keys.
    /// Must not contain <c>{</c> or <c>}</c>: a hash tag would put every session in one cluster slot.
    /// </summary>
    public string? KeyPrefix { get; set; }

    /// <summary>The pub/sub channel for cache invalidations; null means <see cref="KeyPrefix"/> + <c>"invalidate"</c>.</summary>
    public string? InvalidationChannel { get; set; }

    /// <summary>The database number; -1 (the default) uses the connection's default database. Redis Cluster has only database 0.</summary>
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

    /// <summary>
    /// How many replicas must confirm each write and delete before it counts as done (Redis <c>WAIT</c>); 0, the
    /// default, does not wait. Replication in Redis is asynchronous, so without it a write acknowledged by a primary
    /// that dies a moment later can be missing on the replica that takes over. With it, a write the replicas did not
    /// confirm within <see cref="ReplicaWaitTimeout"/> throws <see cref="SessionStorageException"/> (the write may or
    /// may not survive a failover) instead of returning. Set it to the number of replicas each primary has (1 in a
    /// typical cluster). See docs/redis.md for the measured loss and cost.
    /// </summary>
    public int WaitForReplicas { get; set; }

    /// <summary>How long a write waits for <see cref="WaitForReplicas"/> confirmations (default 500 ms; less than <see cref="OperationTimeout"/>).</summary>
    public TimeSpan ReplicaWaitTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Creates the storage's <see cref="Meter"/> (named <c>SessionConnector</c>, like the connector's), as a DI host
    /// provides it; null creates one the storage owns.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }
}
