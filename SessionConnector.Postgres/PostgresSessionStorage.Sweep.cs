using System;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;
using SessionConnector.Storage;

namespace SessionConnector.Postgres;

// Expiry is data: a row past expires_at is invisible to every statement at once, and the sweep only reclaims space.
// It runs on one node at a time (a session-level advisory lock taken with pg_try_advisory_lock, so a node that finds it
// taken skips the round instead of queueing), in batches of short statements that skip rows live requests hold.
public sealed partial class PostgresSessionStorage
{
    /// <summary>Batches one background round deletes at most; the rest waits for the next round.</summary>
    private const int MaxSweepBatches = 200;

    private readonly TimeSpan _sweepInterval;
    private readonly int _sweepBatchSize;
    private Task _sweepLoop = Task.CompletedTask;
    private long _rowsSwept;

    /// <summary>How many expired rows this node's sweeps (and <see cref="PurgeExpired"/>) have deleted.</summary>
    public long RowsSwept => Interlocked.Read(ref _rowsSwept);

    /// <summary>The advisory lock key of this table's sweep (the same on every node).</summary>
    internal long SweepLockKey => _sql.SweepLockKey;

    private void StartSweep()
    {
        if (_sweepInterval == Timeout.InfiniteTimeSpan) return;
        _sweepLoop = Task.Run(SweepLoop, CancellationToken.None);
    }

    private async Task SweepLoop()
    {
        CancellationToken stopping = _stopping.Token;
        // A random first delay, so nodes started together do not all reach for the lock at the same moment.
        TimeSpan delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * _sweepInterval.TotalMilliseconds);
        while (true)
        {
            try
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
                await SweepOnceAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The server unreachable, the table missing, a connection broken mid-round: requests report those to
                // their callers; this background loop must outlive them and try again next round.
            }

            delay = _sweepInterval;
        }
    }

    /// <summary>
    /// One sweep round: takes the table's advisory lock without waiting and, if it got it, deletes expired rows in
    /// batches. Returns the rows deleted, or null when another node holds the lock.
    /// </summary>
    internal async Task<int?> SweepOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The listen source: the lock is the session's, so behind a transaction-mode pooler the sweep needs the
            // direct connection ListenConnectionString gives (it is the main data source when that is not set).
            await using NpgsqlConnection connection = await _listenSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (!await AdvisoryLock(connection, _sql.TryLock, cancellationToken).ConfigureAwait(false)) return null;
            try
            {
                return await DeleteExpiredCore(connection, MaxSweepBatches, async: true, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // The lock is the session's; if the connection broke, the server released it with the session.
                if (connection.FullState == System.Data.ConnectionState.Open)
                {
                    await AdvisoryLock(connection, _sql.Unlock, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (IsPostgresFailure(e, cancellationToken))
        {
            throw Failure("sweep expired records", e);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Deletes every expired row now, in the sweep's batches, without the sweep's lock (batches skip rows another
    /// sweep or a request holds, so running beside them is safe).
    /// </remarks>
    public override int PurgeExpired()
    {
        try
        {
            return Completed(DeleteExpiredCore(connection: null, int.MaxValue, async: false, default));
        }
        catch (Exception e) when (IsPostgresFailure(e))
        {
            throw Failure("purge expired records", e);
        }
    }

    private async ValueTask<int> DeleteExpiredCore(NpgsqlConnection? connection, int maxBatches, bool async, CancellationToken cancellationToken)
    {
        int total = 0;
        for (int batch = 0; batch < maxBatches; batch++)
        {
            await using NpgsqlCommand command = connection is null ? Command(_sql.SweepBatch) : new NpgsqlCommand(_sql.SweepBatch, connection);
            command.CommandTimeout = _commandTimeoutSeconds;
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _sweepBatchSize, NpgsqlDbType = NpgsqlDbType.Integer });
            int deleted = async ? await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteNonQuery();
            total += deleted;
            Interlocked.Add(ref _rowsSwept, deleted);
            // A short batch means nothing expired is left (or only rows held by requests, left for the next round).
            if (deleted < _sweepBatchSize) break;
        }

        return total;
    }

    private async ValueTask<bool> AdvisoryLock(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.CommandTimeout = _commandTimeoutSeconds;
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _sql.SweepLockKey, NpgsqlDbType = NpgsqlDbType.Bigint });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }
}
