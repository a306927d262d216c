using System;

namespace SessionConnector.AspNetCore;

/// <summary>How a <see cref="SessionWebSocket{T, TView}"/> watches its session.</summary>
public sealed class SessionWebSocketOptions
{
    /// <summary>
    /// How often the connection checks that its session still exists (default 1 s). The check is a view read: a cache
    /// hit, with no storage I/O, until the session changes; on Redis a sign-out on any node evicts it through the
    /// invalidation channel, so the socket closes within about this interval. Without invalidations (file storage
    /// shared by processes) the bound is this interval plus <see cref="SessionConnectorOptions.CacheMaxAge"/>.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// True: the open connection keeps the session alive, sliding its idle expiry as requests would (one write per half
    /// idle timeout at most). False (the default): an open socket alone does not keep an idle session alive, so a
    /// forgotten connection cannot hold a session open forever; the session's absolute lifetime applies either way.
    /// </summary>
    public bool KeepSessionAlive { get; set; }

    /// <summary>The WebSocket sub-protocol to accept, or null.</summary>
    public string? SubProtocol { get; set; }

    /// <summary>How long a close handshake may take before the connection is aborted (default 2 s).</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
