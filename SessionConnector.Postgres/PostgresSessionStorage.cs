using System;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;
using SessionConnector.Postgres.Internal;
using SessionConnector.Storage;

namespace SessionConnector.Postgres;

/// <summary>
/// Session storage in one PostgreSQL table (storage key, version, expiry, value). Writes are a compare-and-set on the
/// version in one statement, expired rows are invisible at once and removed by a bounded background sweep that one node
/// runs at a time, and every change is announced with NOTIFY so other nodes evict their cached copies. Create one with
/// <see cref="Connect(PostgresSessionStorageOptions)"/> or <see cref="ConnectAsync(PostgresSessionStorageOptions, CancellationToken)"/>,
/// and the table once with <see cref="EnsureSchemaAsync"/> or <see cref="SchemaScript"/>.
/// </summary>
/// <remarks>
/// <para>A failed statement (server unreachable, timeout, missing table) throws <see cref="SessionStorageException"/>
/// and changes nothing; the pool opens new connections once the server is back.</para>
/// <para>While the invalidation connection is down the connector's cache is emptied every
/// <see cref="PostgresSessionStorageOptions.StaleCacheClearInterval"/>, and once more after it LISTENs again, because
/// notifications sent meanwhile are lost.</para>
/// </remarks>
public sealed partial class PostgresSessionStorage : SessionStorage
{
    /// <summary>Length of a storage key: the unpadded base64url of a 32-byte keyed hash.</summary>
    private const int StorageKeyLength = 43;

    private const int ClearBatchSize = 1000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgresSql _sql;
    private readonly string _nodeId;
    private readonly int _commandTimeoutSeconds;
    private int _disposed;

    // No I/O here: Connect/ConnectAsync open the invalidation connection.
    private PostgresSessionStorage(PostgresSessionStorageOptions options, NpgsqlDataSource dataSource, bool ownsDataSource, NpgsqlDataSource listenSource, bool ownsListenSource)
    {
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _listenSource = listenSource;
        _ownsListenSource = ownsListenSource;
        Schema = options.Schema;
        TableName = options.TableName!;
        _sql = new PostgresSql(Schema, TableName);
        NotifyChannel = options.NotifyChannel ?? Schema + "." + TableName;
        _commandTimeoutSeconds = Math.Max(1, (int)Math.Ceiling(options.OperationTimeout.TotalSeconds));
        _connectTimeout = options.ConnectTimeout;
        _staleInterval = options.StaleCacheClearInterval;
        _sweepInterval = options.SweepInterval;
        _sweepBatchSize = options.SweepBatchSize;
        // Random per instance, so a node recognises (and ignores) its own notifications even when two run in one process.
        _nodeId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Location = "postgres://" + builder.Host + ":" + builder.Port.ToString(CultureInfo.InvariantCulture) + "/" + builder.Database + "/" + Schema + "." + TableName;
    }

    /// <summary>
    /// Builds a data source from <see cref="PostgresSessionStorageOptions.ConnectionString"/> (or uses the application's
    /// <see cref="PostgresSessionStorageOptions.DataSource"/>), opens the invalidation connection and LISTENs. Runs no DDL:
    /// create the table once with <see cref="EnsureSchemaAsync"/> or <see cref="SchemaScript"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Neither or both of ConnectionString and DataSource are set, or a name is missing or not a plain identifier.</exception>
    /// <exception cref="SessionStorageException">The server could not be reached to LISTEN.</exception>
    public static PostgresSessionStorage Connect(PostgresSessionStorageOptions options) => Completed(ConnectCore(options, async: false, default));

    /// <summary>Connects asynchronously; see <see cref="Connect(PostgresSessionStorageOptions)"/>.</summary>
    public static async Task<PostgresSessionStorage> ConnectAsync(PostgresSessionStorageOptions options, CancellationToken cancellationToken = default) =>
        await ConnectCore(options, async: true, cancellationToken).ConfigureAwait(false);

    private static async ValueTask<PostgresSessionStorage> ConnectCore(PostgresSessionStorageOptions options, bool async, CancellationToken cancellationToken)
    {
        Validate(options);
        cancellationToken.ThrowIfCancellationRequested();
        NpgsqlDataSource? owned = null;
        NpgsqlDataSource? ownedListen = null;
        PostgresSessionStorage? storage = null;
        try
        {
            owned = options.DataSource is null ? Build(options.ConnectionString!) : null;
            NpgsqlDataSource dataSource = owned ?? options.DataSource!;
            ownedListen = options.ListenConnectionString is { } listen ? Build(listen) : null;
            storage = new PostgresSessionStorage(options, dataSource, owned is not null, ownedListen ?? dataSource, ownedListen is not null);
            await storage.StartInvalidations(async, cancellationToken).ConfigureAwait(false);
            storage.StartSweep();
            return storage;
        }
        catch (ArgumentException e) when (storage is null)
        {
            // A malformed connection string: say which option.
            owned?.Dispose();
            ownedListen?.Dispose();
            throw new ArgumentException("The PostgreSQL connection string is not valid: " + e.Message, nameof(options), e);
        }
        catch
        {
            if (storage is not null) storage.Dispose();
            else
            {
                owned?.Dispose();
                ownedListen?.Dispose();
            }

            throw;
        }
    }

    /// <summary>A slim data source: no reflection-based type mapping, so NativeAOT links only what these statements use.</summary>
    private static NpgsqlDataSource Build(string connectionString)
    {
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "SessionConnector";
        return builder.Build();
    }

    /// <inheritdoc />
    public override string Kind => "postgres";

    /// <inheritdoc />
    public override bool RaisesInvalidations => true;

    /// <summary>
    /// <c>postgres://</c>, the host, port and database of the data source (no user, no password), then
    /// <c>schema.table</c>: two storages with the same location share their records.
    /// </summary>
    public override string Location { get; }

    /// <summary>The schema of the sessions table.</summary>
    public string Schema { get; }

    /// <summary>The sessions table.</summary>
    public string TableName { get; }

    /// <summary>The NOTIFY channel carrying invalidations.</summary>
    public string NotifyChannel { get; }

    /// <summary>The data source the storage runs its statements on.</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    private static void Validate(PostgresSessionStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((options.ConnectionString is null) == (options.DataSource is null))
        {
            throw new ArgumentException("Set exactly one of PostgresSessionStorageOptions.ConnectionString and PostgresSessionStorageOptions.DataSource.", nameof(options));
        }

        if (string.IsNullOrEmpty(options.TableName))
        {
            throw new ArgumentException(
                "PostgresSessionStorageOptions.TableName is required: choose one per application (e.g. \"myapp_sessions\"), so Clear cannot touch another application's sessions.",
                nameof(options));
        }

        if (!PostgresSql.IsPlainIdentifier(options.TableName) || !PostgresSql.IsPlainIdentifier(options.Schema))
        {
            throw new ArgumentException("Schema and TableName must be lower-case letters, digits and '_', start with a letter or '_', and be at most 63 characters.", nameof(options));
        }

        string channel = options.NotifyChannel ?? options.Schema + "." + options.TableName;
        if (channel.Length is 0 or > 63 || channel.AsSpan().IndexOf('"') >= 0)
        {
            throw new ArgumentException($"The NOTIFY channel '{channel}' must be 1 to 63 characters without '\"'; set PostgresSessionStorageOptions.NotifyChannel to a shorter name.", nameof(options));
        }

        if (options.OperationTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "OperationTimeout must be positive.");
        if (options.ConnectTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "ConnectTimeout must be positive.");
        if (options.StaleCacheClearInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "StaleCacheClearInterval must be positive.");
        if (options.SweepInterval <= TimeSpan.Zero && options.SweepInterval != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "SweepInterval must be positive, or Timeout.InfiniteTimeSpan to turn the sweep off.");
        }

        if (options.SweepBatchSize is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(options), "SweepBatchSize must be between 1 and 10 000.");
    }

    private static void ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!IsStorageKey(key))
        {
            throw new ArgumentException($"A storage key is {StorageKeyLength} base64url characters (a keyed hash of the session ID).", nameof(key));
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

    // ---- records ------------------------------------------------------------------------------------------
    // Each operation is written once, as a core taking `bool async`: the sync twin runs it with async: false, where
    // Npgsql's sync API completes every call before returning, so the ValueTask is already complete.

    /// <inheritdoc />
    public override StoredRecord? Read(string key) => Completed(ReadCore(key, async: false, default));

    /// <inheritdoc />
    public override ValueTask<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => ReadCore(key, async: true, cancellationToken);

    private async ValueTask<StoredRecord?> ReadCore(string key, bool async, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        try
        {
            await using NpgsqlCommand command = Command(_sql.Read);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Text });
            await using NpgsqlDataReader reader = async
                ? await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false)
                : command.ExecuteReader();
            if (!(async ? await reader.ReadAsync(cancellationToken).ConfigureAwait(false) : reader.Read())) return null;
            return ToRecord(reader, 0);
        }
        catch (Exception e) when (IsPostgresFailure(e, cancellationToken))
        {
            throw Failure("read", e);
        }
    }

    /// <inheritdoc />
    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion) =>
        Completed(TryWriteCore(key, value, expiresAt, expectedVersion, newVersion, async: false, default));

    /// <inheritdoc />
    public override ValueTask<bool> TryWriteAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, CancellationToken cancellationToken = default) =>
        TryWriteCore(key, value, expiresAt, expectedVersion, newVersion, async: true, cancellationToken);

    private async ValueTask<bool> TryWriteCore(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, bool async, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        if (newVersion <= 0) throw new ArgumentOutOfRangeException(nameof(newVersion), newVersion, "Versions are positive.");
        if (expectedVersion < AnyVersion) throw new ArgumentOutOfRangeException(nameof(expectedVersion), expectedVersion, "Unknown expected version.");
        string sql = expectedVersion switch
        {
            AnyVersion => _sql.WriteAny,
            Absent => _sql.WriteAbsent,
            _ => _sql.WriteVersion,
        };
        try
        {
            await using NpgsqlCommand command = Command(sql);
            NpgsqlParameterCollection p = command.Parameters;
            p.Add(new NpgsqlParameter<string> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter<long> { TypedValue = newVersion, NpgsqlDbType = NpgsqlDbType.Bigint });
            p.Add(expiresAt is { } at
                ? new NpgsqlParameter<long> { TypedValue = at.ToUnixTimeMilliseconds(), NpgsqlDbType = NpgsqlDbType.Bigint }
                : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            p.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bytea });
            AddNotification(p, key);
            if (expectedVersion > 0) p.Add(new NpgsqlParameter<long> { TypedValue = expectedVersion, NpgsqlDbType = NpgsqlDbType.Bigint });
            return await ExecuteHasRow(command, async, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsPostgresFailure(e, cancellationToken))
        {
            throw Failure("write", e);
        }
    }

    /// <inheritdoc />
    public override bool Delete(string key) => Completed(DeleteCore(key, async: false, default));

    /// <inheritdoc />
    public override ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => DeleteCore(key, async: true, cancellationToken);

    private async ValueTask<bool> DeleteCore(string key, bool async, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        try
        {
            await using NpgsqlCommand command = Command(_sql.Delete);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Text });
            AddNotification(command.Parameters, key);
            await using NpgsqlDataReader reader = async
                ? await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false)
                : command.ExecuteReader();
            return (async ? await reader.ReadAsync(cancellationToken).ConfigureAwait(false) : reader.Read()) && reader.GetBoolean(0);
        }
        catch (Exception e) when (IsPostgresFailure(e, cancellationToken))
        {
            throw Failure("delete", e);
        }
    }

    /// <inheritdoc />
    /// <remarks>One statement: the row is deleted only while its version is still <paramref name="expectedVersion"/>.</remarks>
    public override bool TryDelete(string key, long expectedVersion) => Completed(TryDeleteCore(key, expectedVersion, async: false, default));

    /// <inheritdoc />
    public override ValueTask<bool> TryDeleteAsync(string key, long expectedVersion, CancellationToken cancellationToken = default) =>
        TryDeleteCore(key, expectedVersion, async: true, cancellationToken);

    private async ValueTask<bool> TryDeleteCore(string key, long expectedVersion, bool async, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        try
        {
            await using NpgsqlCommand command = Command(_sql.TryDelete);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Text });
            AddNotification(command.Parameters, key);
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expectedVersion, NpgsqlDbType = NpgsqlDbType.Bigint });
            return await ExecuteHasRow(command, async, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsPostgresFailure(e, cancellationToken))
        {
            throw Failure("delete", e);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Deletes every row of this storage's table (another application's table is never touched) in batches of short
    /// statements, never <c>TRUNCATE</c>, whose exclusive lock would stall live requests, then tells other nodes to
    /// empty their caches.
    /// </remarks>
    public override void Clear() => Completed(ClearCore(async: false, default));

    /// <inheritdoc />
    public override ValueTask ClearAsync(CancellationToken cancellationToken = default) => ClearCore(async: true, cancellationToken);

    private async ValueTask ClearCore(bool async, CancellationToken cancellationToken)
    {
        try
        {
            int deleted;
            do
            {
                await using NpgsqlCommand command = Command(_sql.ClearBatch);
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ClearBatchSize, NpgsqlDbType = NpgsqlDbType.Integer });
                deleted = async ? await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteNonQuery();
            }
            while (deleted == ClearBatchSize);

            await using NpgsqlCommand notify = Command(_sql.Notify);
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = NotifyChannel, NpgsqlDbType = NpgsqlDbType.Text });
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = InvalidationMessage.ForAll(_nodeId), NpgsqlDbType = NpgsqlDbType.Text });
            await ExecuteHasRow(notify, async, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsPostgresFailure(e, cancellationToken))
        {
            throw Failure("clear", e);
        }
    }

    /// <inheritdoc />
    /// <remarks>PostgreSQL writes through; there is nothing to flush.</remarks>
    public override void Flush() { }

    /// <inheritdoc />
    /// <remarks>PostgreSQL writes through; there is nothing to flush.</remarks>
    public override ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return default;
    }

    private NpgsqlCommand Command(string sql)
    {
        NpgsqlCommand command = _dataSource.CreateCommand(sql);
        command.CommandTimeout = _commandTimeoutSeconds;
        return command;
    }

    /// <summary>Parameters $n and $n+1 of every changing statement: the channel and this node's message for <paramref name="key"/>.</summary>
    private void AddNotification(NpgsqlParameterCollection parameters, string key)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = NotifyChannel, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = InvalidationMessage.ForKey(_nodeId, key), NpgsqlDbType = NpgsqlDbType.Text });
    }

    private static async ValueTask<bool> ExecuteHasRow(NpgsqlCommand command, bool async, CancellationToken cancellationToken)
    {
        await using NpgsqlDataReader reader = async
            ? await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false)
            : command.ExecuteReader();
        return async ? await reader.ReadAsync(cancellationToken).ConfigureAwait(false) : reader.Read();
    }

    /// <summary>A record from columns version, expires_at, value starting at <paramref name="first"/>.</summary>
    private static StoredRecord ToRecord(NpgsqlDataReader reader, int first)
    {
        long version = reader.GetInt64(first);
        DateTimeOffset? expiresAt = reader.IsDBNull(first + 1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + 1));
        byte[] value = reader.GetFieldValue<byte[]>(first + 2);
        return new StoredRecord(value, version, expiresAt);
    }

    /// <summary>The result of a core run with <c>async: false</c>, which never suspends.</summary>
    private static T Completed<T>(ValueTask<T> task)
    {
        Debug.Assert(task.IsCompleted, "A sync core awaited an incomplete task.");
        return task.GetAwaiter().GetResult();
    }

    private static void Completed(ValueTask task)
    {
        Debug.Assert(task.IsCompleted, "A sync core awaited an incomplete task.");
        task.GetAwaiter().GetResult();
    }

    // A cancellation counts as a storage failure unless the caller's own token asked for it (Npgsql cancels a statement
    // that outlives its timeout, and a broken connection can surface as a cancelled read).
    private static bool IsPostgresFailure(Exception e, CancellationToken callerToken = default) =>
        e is NpgsqlException or TimeoutException || (e is OperationCanceledException && !callerToken.IsCancellationRequested);

    private SessionStorageException Failure(string operation, Exception inner)
    {
        // 42P01 undefined_table, 3F000 invalid_schema_name: the one failure with an obvious fix.
        string hint = inner is PostgresException { SqlState: "42P01" or "3F000" }
            ? $" Create {_sql.QualifiedTable} once with PostgresSessionStorage.EnsureSchemaAsync or the SQL in PostgresSessionStorage.SchemaScript."
            : "";
        return new SessionStorageException($"PostgreSQL session storage could not {operation}: {inner.Message}{hint}", inner);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !disposing) return;
        Task stopped = StopBackground();
        // Sync dispose: wait briefly for the loops so the listening connection is closed before the data source is.
        // Both loops catch their own failures, so the wait can only time out, never throw.
        stopped.Wait(TimeSpan.FromSeconds(5));
        DisposeSources();
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopBackground().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        DisposeSources();
        GC.SuppressFinalize(this);
    }

    private void DisposeSources()
    {
        _stopping.Dispose();
        if (_ownsListenSource) _listenSource.Dispose();
        if (_ownsDataSource) _dataSource.Dispose();
    }
}
