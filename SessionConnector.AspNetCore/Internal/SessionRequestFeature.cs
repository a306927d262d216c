using System;
using Microsoft.AspNetCore.Http;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>
/// Per-request state the middleware puts in <see cref="HttpContext.Features"/>: nothing is read and no callback is
/// registered until an endpoint asks for the session, so requests that never touch it cost one small allocation.
/// </summary>
internal sealed class SessionRequestFeature(SessionConnectorHost host, HttpContext context)
{
    private IResponseCommitter? _session;

    public SessionConnectorHost Host { get; } = host;

    public HttpContext Context { get; } = context;

    /// <summary>Set when the middleware already answered 409/503: nothing more is committed or issued.</summary>
    public bool Failed { get; set; }

    public RequestSession<T> GetOrCreate<T>() where T : ISessionData<T>
    {
        if (_session is RequestSession<T> existing) return existing;
        if (_session is not null)
        {
            throw new InvalidOperationException($"This request's session was already opened as another type than {typeof(T).Name}: one session cookie holds one session type.");
        }

        // A malformed, oversized or hostile cookie is "no session": the request gets a fresh one, never an exception.
        RequestSession<T> session;
        if (Host.Sealer is { } sealer)
        {
            session = new RequestSession<T>(this, new SealedRequestBackend<T>(this, sealer));
        }
        else
        {
            string? presented = Context.Request.Cookies[Host.CookieName];
            session = new RequestSession<T>(this, SessionIds.IsValid(presented) ? presented : null);
        }

        _session = session;
        Context.Response.OnStarting(static state => ((SessionRequestFeature)state).OnResponseStartingAsync(), this);
        return session;
    }

    private System.Threading.Tasks.Task OnResponseStartingAsync() =>
        Failed || _session is null ? System.Threading.Tasks.Task.CompletedTask : _session.OnResponseStartingAsync();
}
