using System;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>
/// Per-request state the middleware puts in <see cref="HttpContext.Features"/>: nothing is read and no callback is
/// registered until an endpoint asks for the session, so requests that never touch it cost one small allocation.
/// </summary>
internal sealed class SessionRequestFeature(SessionConnectorHost host, HttpContext context)
{
    private IResponseCommitter? _session;
    private bool _registered;
    private bool _started;

    public SessionConnectorHost Host { get; } = host;

    public HttpContext Context { get; } = context;

    /// <summary>
    /// Set when the request failed (an exception left the endpoint, or the middleware answered 409/503): nothing more
    /// is committed or issued, whatever handles the exception afterwards.
    /// </summary>
    public bool Failed { get; private set; }

    /// <summary>Set when the response started: the session was committed then, and can no longer change.</summary>
    public bool ResponseStarted => _started || Context.Response.HasStarted;

    /// <summary>Set when the request left the session middleware: the session can no longer be used at all.</summary>
    public bool Closed { get; private set; }

    public void Fail(string reason)
    {
        if (!Failed && _session is not null) Log.SessionChangesDiscarded(Host.Logger, reason);
        Failed = true;
    }

    public void Close() => Closed = true;

    public RequestSession<T> GetOrCreate<T>() where T : ISessionData<T>
    {
        ThrowIfClosed();
        if (_session is RequestSession<T> existing) return existing;
        if (_session is not null)
        {
            throw new InvalidOperationException($"This request's session was already opened as another type than {typeof(T).Name}: one session cookie holds one session type.");
        }

        SessionTokenHeader? header = SessionTransport.HeaderOf(Context, Host);
        if (header is not null && !Host.HasStore)
        {
            throw new InvalidOperationException("This route carries the session in a header, which keeps sessions in a store, and this app uses sealed cookies without one. Configure Storage (file, memory, Redis) as well.");
        }

        // A malformed, oversized, ambiguous or hostile cookie or token is "no session": the request gets a fresh one, never an exception.
        // Sealed cookies are a cookie mode: a header route keeps its session in the storage.
        RequestSession<T> session = Host.Sealer is { } sealer && header is null
            ? new RequestSession<T>(this, new SealedRequestBackend<T>(this, sealer))
            : new RequestSession<T>(this, SessionTransport.Presented(Context, Host, header), header);
        _session = session;
        // Opened after the response started (a streaming endpoint): readable, and every change throws, so there is
        // no commit to register (and OnStarting could no longer take one).
        if (!ResponseStarted) Register();
        return session;
    }

    /// <summary>Registers the response-start callback once per request: when the session is opened, or up front when untouched sessions are refreshed.</summary>
    public void Register()
    {
        if (_registered) return;
        _registered = true;
        Context.Response.OnStarting(static state => ((SessionRequestFeature)state).OnResponseStartingAsync(), this);
    }

    public void ThrowIfClosed()
    {
        if (Closed)
        {
            throw new InvalidOperationException(
                "The request has left app.UseSessionConnector(): its session was committed (or discarded, if the request failed) and can no longer be read or changed. " +
                "Use the session in endpoints or in middleware placed after app.UseSessionConnector().");
        }
    }

    public void ThrowIfStarted()
    {
        ThrowIfClosed();
        if (ResponseStarted)
        {
            throw new InvalidOperationException("The response has started: the session was committed then, and a change now could neither be saved with it nor reach the cookie. Change the session before writing the response.");
        }
    }

    /// <summary>The keep-alive of <see cref="SessionConnectorWebOptions.RefreshOnEveryRequest{T}"/>: loads a session the request did not touch, so its commit slides the idle expiry.</summary>
    internal async Task RefreshUntouchedAsync<T>() where T : ISessionData<T>
    {
        SessionTokenHeader? header = SessionTransport.HeaderOf(Context, Host);
        string? presented = SessionTransport.Presented(Context, Host, header);
        if (presented is null) return;
        var session = new RequestSession<T>(this, presented, header);
        _session = session;
        try
        {
            await session.LoadForRefreshAsync().ConfigureAwait(false);
        }
        catch (Storage.SessionStorageException e)
        {
            // A refresh nobody asked for must not fail a request that never used the session.
            Log.StorageFailed(Host.Logger, "refresh", e);
            _session = null;
        }
    }

    private Task OnResponseStartingAsync()
    {
        // An exception handler (UseExceptionHandler inside or outside this middleware) is answering for a request
        // that threw: whatever the endpoint changed before the throw is discarded, as it is without a handler.
        if (!Failed && Context.Features.Get<IExceptionHandlerFeature>() is not null) Fail("an exception handler is answering");
        Task commit;
        try
        {
            commit = Failed ? Task.CompletedTask
                : _session is null && Host.KeepAlive is not null ? RefreshAndCommitAsync()
                : _session?.OnResponseStartingAsync() ?? Task.CompletedTask;
        }
        catch (Exception e)
        {
            // Thrown before any await (the unchanged check serializes the data): a faulted task, as an async method gives.
            commit = Task.FromException(e);
        }

        // Most requests (reads) complete here at once: no state machine for them.
        if (commit.IsCompleted)
        {
            _started = true;
            return commit;
        }

        return StartedAfterAsync(commit);
    }

    private async Task RefreshAndCommitAsync()
    {
        await Host.KeepAlive!(this).ConfigureAwait(false);
        if (_session is not null) await _session.OnResponseStartingAsync().ConfigureAwait(false);
    }

    private async Task StartedAfterAsync(Task commit)
    {
        try
        {
            await commit.ConfigureAwait(false);
        }
        finally
        {
            _started = true;
        }
    }
}
