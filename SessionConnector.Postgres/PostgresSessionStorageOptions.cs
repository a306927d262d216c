using System;
using System.Threading;
using Npgsql;

namespace SessionConnector.Postgres;

/// <summary>Options for <see cref="PostgresSessionStorage.Connect(PostgresSessionStorageOptions)"/>.</summary>
public sealed class PostgresSessionStorageOptions
{
    /// <summary>
    /// An Npgsql connection string (e.g. <c>"Host=db;Database=app;Username=app;Password=..."</c>). Used when
    /// <see cref="DataSource"/> is null: the storage then builds a NativeAOT-friendly data source
    /// (<see cref="NpgsqlSlimDataSourceBuilder"/>) and closes it on dispose.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// A data source the application already owns, to share its pool. The storage does not dispose it. Its connections
    /// must be able to read and write <c>bytea</c>, <c>bigint</c> and <c>text</c>, which every data source can.
    /// </summary>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>
    /// A connection string for the connections that need a session of their own: the one long-lived connection that
    /// LISTENs for other nodes' invalidations, and the sweep's (it holds a session-level advisory lock). Null uses
    /// <see cref="ConnectionString"/> or <see cref="DataSource"/>. Set it to a direct server address when the other
    /// connections go through PgBouncer in transaction mode, where neither works (see docs/postgres.md).
    /// </summary>
    public string? ListenConnectionString { get; set; }

    /// <summary>The schema of the sessions table (default <c>public</c>): lower-case letters, digits and <c>_</c>, starting with a letter or <c>_</c>.</summary>
    public string Schema { get; set; } = "public";

    /// <summary>
    /// The sessions table, one per application (e.g. <c>myapp_sessions</c>). Required: there is no shared default, so
    /// <c>Clear</c> in one application cannot remove another's sessions. Lower-case letters, digits and <c>_</c>,
    /// starting with a letter or <c>_</c>, at most 63 characters. Create it with
    /// <see cref="PostgresSessionStorage.EnsureSchemaAsync"/> or <see cref="PostgresSessionStorage.SchemaScript"/>.
    /// </summary>
    public string? TableName { get; set; }

    /// <summary>The NOTIFY channel carrying invalidations; null means <c>schema.table</c> (at most 63 characters).</summary>
    public string? NotifyChannel { get; set; }

    /// <summary>How long one statement may take before it fails with a storage error (default 2 s; whole seconds, rounded up).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long <c>Connect</c> waits for the invalidation connection before it fails (default 5 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// While the invalidation connection is down, how often the connector's cache is emptied (default 100 ms), so a
    /// disconnected node serves cached sessions for at most about this long without hearing about changes.
    /// </summary>
    public TimeSpan StaleCacheClearInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How often this node tries to sweep expired rows (default 1 minute). One node at a time sweeps (a PostgreSQL
    /// advisory lock); the others skip that round. <see cref="Timeout.InfiniteTimeSpan"/> turns the sweep off (run
    /// <c>PurgeExpired</c> yourself, or a scheduled job with the SQL in docs/postgres.md).
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Rows one sweep statement deletes at most (default 500). Each batch is its own short statement that skips rows a
    /// live request holds, so the sweep never makes a request wait long or deadlock with it.
    /// </summary>
    public int SweepBatchSize { get; set; } = 500;
}
