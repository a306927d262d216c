using System;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using SessionConnector.Postgres.Internal;

namespace SessionConnector.Postgres;

// Invalidations travel by NOTIFY on one channel; each node keeps one dedicated connection that LISTENs (a LISTEN lives
// on its session, so it cannot be a pooled connection handed back after each statement). PostgreSQL delivers a
// notification only to sessions listening when it commits, so whatever happens while the connection is down is lost:
// the cache is emptied while it is down and once more after LISTEN is back.
public sealed partial class PostgresSessionStorage
{
    /// <summary>How long the listening connection waits for a notification before it checks the connection with a ping.</summary>
    private const int ListenPingMs = 5000;

    private const int MinReconnectDelayMs = 250;
    private const int MaxReconnectDelayMs = 5000;

    private readonly NpgsqlDataSource _listenSource;
    private readonly bool _ownsListenSource;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _staleInterval;
    private readonly CancellationTokenSource _stopping = new();
    private Task _listenLoop = Task.CompletedTask;
    private Timer? _staleTimer;

    // Written by the listen loop, read by the stale timer and callers: Volatile so neither acts on a cached value.
    private bool _listening;
    private long _invalidationsReceived;
    private long _fullInvalidations;

    /// <summary>True while the listening connection is up, so other nodes' changes reach this node's cache.</summary>
    public bool IsListening => Volatile.Read(ref _listening);

    /// <summary>How many invalidations from other nodes this storage has received.</summary>
    public long InvalidationsReceived => Interlocked.Read(ref _invalidationsReceived);

    /// <summary>How many times this storage told the connector to empty its whole cache (a clear elsewhere, a lost listening connection).</summary>
    public long FullInvalidations => Interlocked.Read(ref _fullInvalidations);

    private async ValueTask StartInvalidations(bool async, CancellationToken cancellationToken)
    {
        _staleTimer = new Timer(static state => ((PostgresSessionStorage)state!).OnStaleTick(), this, Timeout.Infinite, Timeout.Infinite);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connectTimeout);
        NpgsqlConnection connection;
        try
        {
            // The sync path blocks here once, at start-up: opening with a deadline is only offered asynchronously.
            connection = async
                ? await OpenListeningAsync(timeout.Token).ConfigureAwait(false)
                : Task.Run(() => OpenListeningAsync(timeout.Token), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (IsPostgresFailure(e, cancellationToken))
        {
            throw Failure("listen for invalidations", e);
        }

        Volatile.Write(ref _listening, true);
        _listenLoop = Task.Run(() => ListenLoop(connection), CancellationToken.None);
    }

    private async Task<NpgsqlConnection> OpenListeningAsync(CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await _listenSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            connection.Notification += OnNotification;
            await using var listen = new NpgsqlCommand("LISTEN " + PostgresSql.Quote(NotifyChannel), connection);
            listen.CommandTimeout = _commandTimeoutSeconds;
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task ListenLoop(NpgsqlConnection? connection)
    {
        CancellationToken stopping = _stopping.Token;
        int delayMs = MinReconnectDelayMs;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (connection is null)
                {
                    connection = await OpenListeningAsync(stopping).ConfigureAwait(false);
                    // LISTEN is in place, so every later change is announced; changes made while it was down may sit
                    // in the cache, so empty it once more now.
                    Volatile.Write(ref _listening, true);
                    InvalidateAll();
                    delayMs = MinReconnectDelayMs;
                }

                // Notifications are raised (OnNotification) while WaitAsync reads; a quiet period ends in a ping, so a
                // connection that died without a reset is noticed within seconds.
                if (!await connection.WaitAsync(ListenPingMs, stopping).ConfigureAwait(false))
                {
                    await using var ping = new NpgsqlCommand("SELECT 1", connection);
                    ping.CommandTimeout = _commandTimeoutSeconds;
                    await ping.ExecuteNonQueryAsync(stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception)
            {
                // Any failure of the listening connection (server restart, network, timeout) means notifications may be
                // lost from now on: this loop must survive it, treat the cache as stale and reconnect with back-off.
                MarkDisconnected();
                if (connection is not null) await DisposeQuietly(connection).ConfigureAwait(false);
                connection = null;
                try
                {
                    await Task.Delay(delayMs, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delayMs = Math.Min(delayMs * 2, MaxReconnectDelayMs);
            }
        }

        if (connection is not null) await DisposeQuietly(connection).ConfigureAwait(false);
    }

    private void MarkDisconnected()
    {
        Volatile.Write(ref _listening, false);
        InvalidateAll();
        try
        {
            _staleTimer?.Change(_staleInterval, _staleInterval);
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: nothing left to invalidate.
        }
    }

    private void OnStaleTick()
    {
        if (!Volatile.Read(ref _listening))
        {
            InvalidateAll();
            return;
        }

        try
        {
            _staleTimer?.Change(Timeout.Infinite, Timeout.Infinite);
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently.
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (!string.Equals(e.Channel, NotifyChannel, StringComparison.Ordinal)) return;
        if (!InvalidationMessage.TryParseForeign(e.Payload, _nodeId, out string key)) return;
        Interlocked.Increment(ref _invalidationsReceived);
        if (key == InvalidationMessage.All) InvalidateAll();
        else OnInvalidated(key);
    }

    private void InvalidateAll()
    {
        Interlocked.Increment(ref _fullInvalidations);
        OnInvalidatedAll();
    }

    private async ValueTask DisposeQuietly(NpgsqlConnection connection)
    {
        connection.Notification -= OnNotification;
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is already broken; the server drops its LISTEN with it.
        }
    }

    /// <summary>Stops the listen and sweep loops; completes when both have ended.</summary>
    private Task StopBackground()
    {
        _stopping.Cancel();
        _staleTimer?.Dispose();
        return Task.WhenAll(_listenLoop, _sweepLoop);
    }
}
