using System;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;
using SessionConnector.Storage;

namespace SessionConnector.Postgres;

// The table is created on request only: a connector never runs DDL at start-up (where the app's database user should
// not need the right to, and where N nodes starting together would race on the catalog).
public sealed partial class PostgresSessionStorage
{
    /// <summary>
    /// The SQL that creates this storage's schema, table and expiry index, idempotent (<c>IF NOT EXISTS</c>), for a
    /// migration tool or a DBA to run. <see cref="EnsureSchemaAsync"/> runs the same text.
    /// </summary>
    public string SchemaScript => _sql.Schema;

    /// <summary>
    /// Creates the schema, table and index when missing (idempotent, safe to run from several nodes at once: a
    /// transaction-scoped advisory lock serialises them). Needs the right to create them; run it from a deploy step or
    /// at start-up where the app's user may.
    /// </summary>
    /// <exception cref="SessionStorageException">The statements failed (no permission, server unreachable).</exception>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => EnsureSchemaCore(async: true, cancellationToken).AsTask();

    /// <summary>Sync twin of <see cref="EnsureSchemaAsync"/>.</summary>
    public void EnsureSchema() => Completed(EnsureSchemaCore(async: false, default));

    private async ValueTask EnsureSchemaCore(bool async, CancellationToken cancellationToken)
    {
        try
        {
            await using NpgsqlConnection connection = async
                ? await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false)
                : _dataSource.OpenConnection();
            await using NpgsqlTransaction transaction = async
                ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false)
                : connection.BeginTransaction();
            // Two nodes creating the same table at once can fail on the catalog's unique index; one at a time cannot.
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
            {
                lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _sql.SchemaLockKey, NpgsqlDbType = NpgsqlDbType.Bigint });
                if (async) await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                else lockCommand.ExecuteNonQuery();
            }

            await using (var create = new NpgsqlCommand(_sql.Schema, connection, transaction))
            {
                create.CommandTimeout = Math.Max(_commandTimeoutSeconds, 30);
                if (async) await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                else create.ExecuteNonQuery();
            }

            if (async) await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            else transaction.Commit();
        }
        catch (Exception e) when (IsPostgresFailure(e, cancellationToken))
        {
            throw Failure("create its table", e);
        }
    }
}
