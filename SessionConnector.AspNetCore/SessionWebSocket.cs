using System;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using SessionConnector.AspNetCore.Internal;
using SessionConnector.Reading;

namespace SessionConnector.AspNetCore;

/// <summary>
/// A WebSocket bound to a session for its lifetime (from <see cref="RequestSession{T}.AcceptWebSocketAsync{TView}"/>).
/// Reads go through the zero-copy views (<see cref="TryRead"/>: a cache hit costs no storage I/O and no allocation) and
/// changes through the connector's compare-and-set (<see cref="UpdateAsync(Func{T, T}, CancellationToken)"/>). When the
/// session ends — signed out on any node, expired, or a resume token replayed — the connection closes with
/// <see cref="WebSocketCloseStatus.PolicyViolation"/> and <see cref="SessionEnded"/> is cancelled, within
/// <see cref="SessionWebSocketOptions.CheckInterval"/> (see there for the bound per storage). Send through
/// <see cref="SendAsync"/>, so a close from the watcher never interleaves with a message; receive from one loop.
/// </summary>
/// <typeparam name="T">The session data type.</typeparam>
/// <typeparam name="TView">Its generated <c>View</c>.</typeparam>
public sealed class SessionWebSocket<T, TView> : IAsyncDisposable
    where T : ISessionData<T>
    where TView : struct, ISessionDataView<TView, T>
{
    private const string EndedDescription = "session ended";

    private readonly SessionConnectorHost _host;
    private readonly SessionWebSocketOptions _options;
    private readonly CancellationTokenSource _ended = new();
    private readonly CancellationTokenSource _stop = new();
    // One sender at a time (WebSocket allows one concurrent send): the watcher's close queues behind a message.
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly Task _watcher;
    private int _ending;
    private Task? _end;
    private int _disposed;

    internal SessionWebSocket(WebSocket socket, SessionConnectorHost host, string sessionId, SessionWebSocketOptions options)
    {
        Socket = socket;
        _host = host;
        SessionId = sessionId;
        _options = options;
        SessionEnded = _ended.Token;
        _watcher = WatchAsync();
    }

    /// <summary>The accepted socket. Receive from it in one loop; send with <see cref="SendAsync"/>.</summary>
    public WebSocket Socket { get; }

    /// <summary>The bound session's ID (for the app's own bookkeeping; never send it to other clients).</summary>
    public string SessionId { get; }

    /// <summary>
    /// Cancelled once the session ended and the close frame is sent: stops the app's tick loops. The receive loop ends
    /// by itself (the client's answering close frame); a receive cancelled by a token aborts the socket.
    /// </summary>
    public CancellationToken SessionEnded { get; }

    /// <summary>True once the session ended (the connection is closing or closed).</summary>
    public bool IsSessionEnded => Volatile.Read(ref _ending) != 0;

    /// <summary>
    /// Reads the session as a view: a cache hit (the normal case per message) does no storage I/O. False when the
    /// session ended; the connection is then closed.
    /// </summary>
    public bool TryRead(out TView view)
    {
        if (!IsSessionEnded && _host.Connector.TryRead(SessionId, out view)) return true;
        view = default;
        End();
        return false;
    }

    /// <summary>Atomically changes the session (compare-and-set, re-run when another writer wins); false when it ended (the connection is then closed).</summary>
    public async ValueTask<bool> UpdateAsync(Func<T, T> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!IsSessionEnded && await _host.Connector.UpdateAsync(SessionId, change, cancellationToken).ConfigureAwait(false)) return true;
        End();
        return false;
    }

    /// <summary>Sync twin of <see cref="UpdateAsync(Func{T, T}, CancellationToken)"/>.</summary>
    public bool Update(Func<T, T> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!IsSessionEnded && _host.Connector.Update(SessionId, change)) return true;
        End();
        return false;
    }

    /// <summary>Sends one message (queued behind any other send, and never after the session ended).</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type = WebSocketMessageType.Binary, bool endOfMessage = true, CancellationToken cancellationToken = default)
    {
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsSessionEnded) throw new WebSocketException(WebSocketError.InvalidState, "The session ended; the connection is closing.");
            await Socket.SendAsync(message, type, endOfMessage, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>Stops watching and closes the connection normally if it is still open.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        try
        {
            await _watcher.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        if (Volatile.Read(ref _end) is { } end) await end.ConfigureAwait(false);
        else if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived) await CloseAsync(WebSocketCloseStatus.NormalClosure, null).ConfigureAwait(false);

        Socket.Dispose();
        _stop.Dispose();
        _ended.Dispose();
        _send.Dispose();
    }

    private async Task WatchAsync()
    {
        // Off the accepting request's flow: the loop must not hold its execution context or run inline with it.
        await Task.Yield();
        using var timer = new PeriodicTimer(_options.CheckInterval, _host.Time);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            if (IsSessionEnded || Socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
            try
            {
                if (!await StillAliveAsync().ConfigureAwait(false))
                {
                    End();
                    return;
                }
            }
            catch (Exception e) when (e is Storage.SessionStorageException or SessionConflictException)
            {
                // Storage down (or a keep-alive write that lost every race) is not "signed out": the connection stays,
                // and the next check tries again.
                Log.StorageFailed(_host.Logger, "websocket session check", e);
            }
            catch (ObjectDisposedException)
            {
                // The app is shutting down and closed the connector: the server's shutdown ends the connection.
                return;
            }
        }
    }

    private async ValueTask<bool> StillAliveAsync()
    {
        if (!_options.KeepSessionAlive)
        {
            // A view read: a cache hit until the session changes (on Redis, until an invalidation evicts it).
            (bool found, _) = await _host.Connector.TryReadAsync<TView>(SessionId, _stop.Token).ConfigureAwait(false);
            return found;
        }

        // The app asked the connection to keep the session alive: load and commit as a request would, which slides
        // the idle expiry when it is due (one write per half idle timeout at most) and reads nothing else.
        var store = new SessionStore<T>(SessionId, _host.Session, _host.Connector);
        await store.LoadAsync(_stop.Token).ConfigureAwait(false);
        if (store.IsNew) return false;
        return !store.NeedsUpdate || await store.CommitAsync(_stop.Token).ConfigureAwait(false) != SessionCommitResult.Deleted;
    }

    private void End()
    {
        if (Interlocked.Exchange(ref _ending, 1) != 0) return;
        // Kept, so DisposeAsync waits for it before disposing what it uses.
        Volatile.Write(ref _end, EndAsync());
    }

    private async Task EndAsync()
    {
        await CloseAsync(WebSocketCloseStatus.PolicyViolation, EndedDescription).ConfigureAwait(false);
        // After the close frame is out: a receive cancelled by this token aborts the socket, which would drop the frame.
        _ended.Cancel();
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string? description)
    {
        using var timeout = new CancellationTokenSource(_options.CloseTimeout);
        try
        {
            await _send.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    // Output only: the app's receive loop sees the client's answering close frame and ends.
                    await Socket.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _send.Release();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // A peer that does not answer in time, or is already gone, is cut off.
            Socket.Abort();
        }
    }
}
