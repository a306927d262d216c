using System;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using SessionConnector.Reading;

namespace SessionConnector.AspNetCore;

public sealed partial class RequestSession<T>
{
    /// <summary>
    /// Accepts this request's WebSocket and binds it to the session for the connection's lifetime (see
    /// <see cref="SessionWebSocket{T, TView}"/>). This request's pending changes are committed first, and the
    /// handshake response carries a new or resumed session ID as any response does.
    /// </summary>
    /// <typeparam name="TView">The session type's generated <c>View</c>.</typeparam>
    /// <returns>The bound socket; null (nothing accepted: answer 401) when no stored session backs this request.</returns>
    /// <exception cref="InvalidOperationException">The request is not a WebSocket request, or the session was signed out.</exception>
    public async ValueTask<SessionWebSocket<T, TView>?> AcceptWebSocketAsync<TView>(SessionWebSocketOptions? options = null, CancellationToken cancellationToken = default)
        where TView : struct, ISessionDataView<TView, T>
    {
        ThrowIfSealed();
        _feature.ThrowIfStarted();
        ThrowIfSignedOut();
        cancellationToken = OrAborted(cancellationToken);
        HttpContext context = _feature.Context;
        if (!context.WebSockets.IsWebSocketRequest) throw new InvalidOperationException("This is not a WebSocket request.");
        options ??= new SessionWebSocketOptions();
        if (options.CheckInterval <= TimeSpan.Zero || options.CloseTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "CheckInterval and CloseTimeout must be positive.");
        await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        // Committed now, while a failure can still answer with a status instead of a socket.
        if (_store.NeedsUpdate) await CommitAsync(cancellationToken).ConfigureAwait(false);
        if (_store.IsNew || _signedOut) return null;
        WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(options.SubProtocol).ConfigureAwait(false);
        return new SessionWebSocket<T, TView>(socket, _feature.Host, _store.Id, options);
    }
}
