using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using SessionConnector.AspNetCore.Internal;

namespace SessionConnector.AspNetCore;

/// <summary>
/// One request's session, from <see cref="HttpContextSessionExtensions.GetSession{T}"/>. Nothing is read until the
/// endpoint asks for the data; changes are committed (compare-and-set) when the response starts, and the cookie is
/// written only when the session ID is new or changed, or when a persistent cookie's expiry slides.
/// Not thread-safe: one request, one flow of control.
/// </summary>
/// <typeparam name="T">The session data type (a <c>[SessionData]</c> type or <see cref="SessionBag"/>).</typeparam>
public sealed class RequestSession<T> : IResponseCommitter where T : ISessionData<T>
{
    private readonly SessionRequestFeature _feature;
    private readonly string? _presentedId;
    private SessionStore<T> _store;
    private bool _signedOut;
    private bool _expirySlid;

    internal RequestSession(SessionRequestFeature feature, string? presentedId)
    {
        _feature = feature;
        _presentedId = presentedId;
        _store = NewStore(presentedId);
    }

    /// <summary>The session ID the response will carry (a fresh one replaces an unknown or expired ID once loaded).</summary>
    public string Id => _store.Id;

    /// <summary>True once loaded when no stored session backs this request (none was presented, or it was unknown or expired).</summary>
    public bool IsNew => _store.IsNew;

    /// <summary>True once the data has been loaded (or created).</summary>
    public bool IsLoaded => _store.IsLoaded;

    /// <summary>True after <see cref="SignOutAsync"/> (or when another request signed this session out meanwhile).</summary>
    public bool IsSignedOut => _signedOut;

    /// <summary>When the session expires as last loaded or saved (null: never).</summary>
    public DateTimeOffset? ExpiresAt => _store.ExpiresAt;

    /// <summary>
    /// The loaded data; mutate it and the change is committed when the response starts. Load it first with
    /// <see cref="GetAsync"/> or <see cref="LoadAsync"/>: this property never does blocking storage I/O.
    /// </summary>
    /// <exception cref="InvalidOperationException">The session is not loaded yet, or was signed out.</exception>
    public T Data
    {
        get
        {
            ThrowIfUnusable();
            return _store.Data;
        }

        set
        {
            ThrowIfUnusable();
            _store.Data = value;
        }
    }

    /// <summary>Loads the session (one storage read at most, often a cache hit) and returns its data.</summary>
    public async ValueTask<T> GetAsync(CancellationToken cancellationToken = default)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return _store.Data;
    }

    /// <summary>Loads the session if it is not loaded yet.</summary>
    public ValueTask LoadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfSignedOut();
        return _store.LoadAsync(OrAborted(cancellationToken));
    }

    /// <summary>
    /// Atomic read-modify-write (counters, carts): <paramref name="change"/> runs on the current stored data under
    /// compare-and-set and is saved before this returns, so parallel requests on one session never lose an update.
    /// It may run more than once when other writers race, so it must have no other side effects. Changes this
    /// request made before are committed first. For class session types; struct types use the <see cref="Func{T, TResult}"/> overload.
    /// </summary>
    /// <returns>The data as saved.</returns>
    public ValueTask<T> UpdateAsync(Action<T> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        // A struct would be mutated in a copy and the change silently dropped.
        if (typeof(T).IsValueType) throw new InvalidOperationException($"{typeof(T).Name} is a struct: use UpdateAsync(Func<{typeof(T).Name}, {typeof(T).Name}>).");
        return UpdateAsync(value =>
        {
            change(value);
            return value;
        }, cancellationToken);
    }

    /// <summary>Atomic read-modify-write that returns the new value (works for struct session types); see <see cref="UpdateAsync(Action{T}, CancellationToken)"/>.</summary>
    /// <returns>The data as saved.</returns>
    public async ValueTask<T> UpdateAsync(Func<T, T> change, CancellationToken cancellationToken = default)
    {
        cancellationToken = OrAborted(cancellationToken);
        ArgumentNullException.ThrowIfNull(change);
        ThrowIfSignedOut();
        if (_store.IsLoaded && _store.IsModified) await CommitAsync(cancellationToken).ConfigureAwait(false);

        if (!_store.IsNew)
        {
            // A stored (or presented, not yet loaded) session: the connector's compare-and-set loop applies the change.
            string id = _store.Id;
            if (await _feature.Host.Connector.UpdateAsync(id, change, cancellationToken).ConfigureAwait(false))
            {
                // Reload so Data, the expiry and the response's idle slide reflect what was saved (a cache hit).
                _store = NewStore(id);
                await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
                if (!_store.IsNew) return _store.Data;
            }

            // Missing, expired or signed out meanwhile: the change starts a fresh session under a fresh ID.
            _store = NewStore(null);
        }

        await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
        T updated = change(_store.Data);
        if (updated is null) throw new InvalidOperationException("The update function returned null.");
        _store.Data = updated;
        // A fresh random ID has no other writer: this compare-and-set on "absent" cannot lose.
        await CommitAsync(cancellationToken).ConfigureAwait(false);
        return _store.Data;
    }

    /// <summary>
    /// Gives the session a new ID, keeping its data, and deletes the old ID. Call it at login and at every privilege
    /// change, so an ID planted or seen before is worthless after it. The response carries the new cookie.
    /// </summary>
    public async ValueTask RenewAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = OrAborted(cancellationToken);
        ThrowIfSignedOut();
        // Awaited rather than returned: the core's CycleIdAsync is gaining a result (the merge work), and this stays source-compatible.
        await _store.CycleIdAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the session now and expires the cookie with the response; a replayed old cookie finds nothing.</summary>
    public async ValueTask SignOutAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = OrAborted(cancellationToken);
        if (_signedOut) return;
        await _store.DestroyAsync(cancellationToken).ConfigureAwait(false);
        _signedOut = true;
    }

    /// <summary>
    /// Commits now instead of when the response starts, so a failure reaches the endpoint (the middleware turns an
    /// unhandled one into 409 or 503 while the response can still change).
    /// </summary>
    /// <exception cref="SessionConflictException">Another request changed the session in a way that cannot be merged (or the policy is Reject); nothing was written.</exception>
    /// <exception cref="Storage.SessionStorageException">The storage failed; the previous record is intact.</exception>
    public async ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        if (await CommitCoreAsync(OrAborted(cancellationToken)).ConfigureAwait(false) == SessionCommitResult.Conflict)
        {
            throw new SessionConflictException("Another request changed this session after it was loaded, and the change could not be merged; nothing was written.");
        }
    }

    async Task IResponseCommitter.OnResponseStartingAsync()
    {
        HttpContext context = _feature.Context;
        SessionConnectorHost host = _feature.Host;
        if (!_signedOut && _store.IsLoaded)
        {
            try
            {
                // The response is about to go out: the commit must finish, a client disconnect must not tear it.
                if (await CommitCoreAsync(CancellationToken.None).ConfigureAwait(false) == SessionCommitResult.Conflict)
                {
                    Log.CommitConflict(host.Logger, context.Request.Path, null);
                    context.Response.StatusCode = StatusCodes.Status409Conflict;
                    return;
                }
            }
            catch (Storage.SessionStorageException e)
            {
                // Headers are not sent yet: the status can still say the change was not saved.
                Log.StorageUnavailable(host.Logger, context.Request.Path, e);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }
        }

        if (_signedOut)
        {
            if (_presentedId is not null) SessionCookie.Expire(context, host);
        }
        else if (!_store.IsNew && (!string.Equals(_store.Id, _presentedId, StringComparison.Ordinal) || (host.Cookie.Persistent && _expirySlid)))
        {
            SessionCookie.Issue(context, host, _store.Id, _store.ExpiresAt);
        }
    }

    // A caller that passes no token still stops waiting on storage when the client goes away.
    private CancellationToken OrAborted(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? cancellationToken : _feature.Context.RequestAborted;

    private async ValueTask<SessionCommitResult> CommitCoreAsync(CancellationToken cancellationToken)
    {
        if (_signedOut) return SessionCommitResult.Deleted;
        if (!_store.NeedsUpdate) return SessionCommitResult.Unchanged; // reads never queue on the gate below
        DateTimeOffset? before = _store.ExpiresAt;
        // Commits of one session from this process queue on a stripe: each then loses its compare-and-set at most to
        // other processes, instead of 50 parallel requests burning the store's bounded merge retries on each other.
        SemaphoreSlim gate = _feature.Host.CommitGate(_store.Id);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        SessionCommitResult result;
        try
        {
            result = await _store.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }

        if (result == SessionCommitResult.Saved && _store.ExpiresAt != before) _expirySlid = true;
        if (result == SessionCommitResult.Deleted)
        {
            // A logout in another request wins: this request's changes are dropped on purpose and the cookie expired.
            Log.SessionDeletedMeanwhile(_feature.Host.Logger);
            _signedOut = true;
        }

        return result;
    }

    private SessionStore<T> NewStore(string? id) => new(id, _feature.Host.Session, _feature.Host.Connector);

    private void ThrowIfSignedOut()
    {
        if (_signedOut) throw new InvalidOperationException("The session was signed out in this request.");
    }

    private void ThrowIfUnusable()
    {
        ThrowIfSignedOut();
        if (!_store.IsLoaded) throw new InvalidOperationException("Load the session first: await session.GetAsync() or LoadAsync().");
    }
}
