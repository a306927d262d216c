using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SessionConnector.AspNetCore.Internal;

namespace SessionConnector.AspNetCore;

/// <summary>
/// One request's session, from <see cref="HttpContextSessionExtensions.GetSession{T}"/>. Nothing is read until the
/// endpoint asks for the data; changes are committed (compare-and-set) when the response starts, and the cookie is
/// written only when the session ID is new or changed, or when a persistent cookie's expiry slides.
/// A request that throws commits nothing (whatever handles the exception). Once the response has started the
/// session is read-only, and once the request has left <c>app.UseSessionConnector()</c> every member that reads or
/// writes it throws <see cref="InvalidOperationException"/>.
/// Not thread-safe: one request, one flow of control.
/// </summary>
/// <typeparam name="T">The session data type (a <c>[SessionData]</c> type or <see cref="SessionBag"/>).</typeparam>
public sealed partial class RequestSession<T> : IResponseCommitter where T : ISessionData<T>
{
    private readonly SessionRequestFeature _feature;
    private readonly string? _presentedId;
    private readonly SessionTokenHeader? _header;
    // Sealed-cookie storage (UseSealedCookies): when set, every member below delegates to it.
    private readonly SealedRequestBackend<T>? _sealed;
    private SessionStore<T> _store;
    private bool _signedOut;
    private bool _expirySlid;
    private bool _clearPending;
    private bool _missLogged;

    internal RequestSession(SessionRequestFeature feature, string? presentedId, SessionTokenHeader? header)
    {
        _feature = feature;
        _presentedId = presentedId;
        _header = header;
        _store = NewStore(presentedId);
    }

    internal RequestSession(SessionRequestFeature feature, SealedRequestBackend<T> sealedBackend)
    {
        _feature = feature;
        _sealed = sealedBackend;
        _store = null!; // never used in sealed mode
    }

    /// <summary>The session ID the response will carry (a fresh one replaces an unknown or expired ID once loaded).</summary>
    public string Id => _sealed?.Id ?? _store.Id;

    /// <summary>True once loaded when no stored session backs this request (none was presented, or it was unknown or expired).</summary>
    public bool IsNew => _sealed?.IsNew ?? _store.IsNew;

    /// <summary>True once the data has been loaded (or created).</summary>
    public bool IsLoaded => _sealed?.IsLoaded ?? _store.IsLoaded;

    /// <summary>True after <see cref="SignOutAsync"/> (or when another request signed this session out meanwhile).</summary>
    public bool IsSignedOut => _sealed?.IsSignedOut ?? _signedOut;

    /// <summary>When the session expires as last loaded or saved (null: never).</summary>
    public DateTimeOffset? ExpiresAt => _sealed is not null ? _sealed.ExpiresAt : _store.ExpiresAt;

    /// <summary>
    /// The loaded data; mutate it and the change is committed when the response starts. Load it first with
    /// <see cref="GetAsync"/> or <see cref="LoadAsync"/>: this property never does blocking storage I/O.
    /// </summary>
    /// <exception cref="InvalidOperationException">The session is not loaded yet, or was signed out; or (set) the response has started.</exception>
    public T Data
    {
        get
        {
            _feature.ThrowIfClosed();
            if (_sealed is not null) return _sealed.Data;
            ThrowIfUnusable();
            return _store.Data;
        }

        set
        {
            _feature.ThrowIfStarted();
            if (_sealed is not null)
            {
                _sealed.Data = value;
                return;
            }

            ThrowIfUnusable();
            _store.Data = value;
        }
    }

    /// <summary>Loads the session (one storage read at most, often a cache hit) and returns its data.</summary>
    public ValueTask<T> GetAsync(CancellationToken cancellationToken = default)
    {
        // A load that completed at once (memory storage, a cache hit, already loaded) needs no state machine of its own.
        ValueTask load;
        try
        {
            load = LoadAsync(cancellationToken);
        }
        catch (Exception e)
        {
            // Closed or signed out: the returned task faults, as it did when this method was async.
            return ValueTask.FromException<T>(e);
        }

        if (!load.IsCompletedSuccessfully) return GetAfterAsync(load);
        load.GetAwaiter().GetResult();
        return new ValueTask<T>(LoadedData);
    }

    private async ValueTask<T> GetAfterAsync(ValueTask load)
    {
        await load.ConfigureAwait(false);
        return LoadedData;
    }

    private T LoadedData => _sealed is not null ? _sealed.Data : _store.Data;

    /// <summary>Loads the session if it is not loaded yet.</summary>
    public ValueTask LoadAsync(CancellationToken cancellationToken = default)
    {
        _feature.ThrowIfClosed();
        if (_sealed is not null) return _sealed.LoadAsync(OrAborted(cancellationToken));
        ThrowIfSignedOut();
        return LoadCoreAsync(OrAborted(cancellationToken));
    }

    /// <summary>
    /// Empties the session: its data becomes <typeparamref name="T"/>'s defaults, committed like any change when the
    /// response starts. The ID and the cookie stay (use <see cref="SignOutAsync"/> to end the session, or
    /// <see cref="RenewAsync(CancellationToken)"/> to move it to a new ID). Needs no load first: an unloaded session is cleared when it is
    /// loaded or committed. A session that was never stored stays unstored.
    /// </summary>
    /// <exception cref="InvalidOperationException">The session was signed out, or the response has started.</exception>
    public void Clear()
    {
        _feature.ThrowIfStarted();
        if (_sealed is not null)
        {
            _sealed.Data = T.CreateDefault();
            return;
        }

        ThrowIfSignedOut();
        if (!_store.IsLoaded)
        {
            // Clearing must not block on storage I/O: the clear is applied when the data is loaded.
            _clearPending = true;
            return;
        }

        if (_store.IsNew)
        {
            // Never stored: start over on a fresh unwritten store (no I/O), so the cleared session stays unstored
            // instead of being written as an empty record.
            _store = NewStore(null);
            _store.Load();
            return;
        }

        _store.Data = T.CreateDefault();
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
        _feature.ThrowIfStarted();
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
        _feature.ThrowIfStarted();
        if (_sealed is not null) return await _sealed.UpdateAsync(change, cancellationToken).ConfigureAwait(false);
        ThrowIfSignedOut();
        if (_clearPending) await LoadCoreAsync(cancellationToken).ConfigureAwait(false); // the clear is this request's change: it goes first
        if (_store.IsLoaded && _store.IsModified) await CommitAsync(cancellationToken).ConfigureAwait(false);

        if (!_store.IsNew)
        {
            // A stored (or presented, not yet loaded) session: the connector's compare-and-set loop applies the change.
            string id = _store.Id;
            if (await _feature.Host.Connector.UpdateAsync(id, change, cancellationToken).ConfigureAwait(false))
            {
                // Reload so Data, the expiry and the response's idle slide reflect what was saved (a cache hit).
                _store = NewStore(id);
                await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
                if (!_store.IsNew) return _store.Data;
            }

            // Missing, expired or signed out meanwhile: the change starts a fresh session under a fresh ID.
            LogMiss(id);
            _store = NewStore(null);
        }

        await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        T updated = change(_store.Data);
        if (updated is null) throw new InvalidOperationException("The update function returned null.");
        _store.Data = updated;
        // A fresh random ID has no other writer: this compare-and-set on "absent" cannot lose.
        await CommitAsync(cancellationToken).ConfigureAwait(false);
        return _store.Data;
    }

    /// <summary>
    /// Gives the session a new ID, keeping its data, and deletes the old ID. Call it at login and at every privilege
    /// change, so an ID planted or seen before is worthless after it. The response carries the new cookie. It never
    /// leaves the session on the old ID: a change committed on the old ID meanwhile is merged in as commits merge;
    /// when that cannot be done (a true conflict, the merge retries exhausted, the old session signed out), the old
    /// ID is deleted anyway, this request's session is signed out (nothing of it is saved) and
    /// <see cref="SessionConflictException"/> is thrown (unhandled: a 409); the user signs in again on a fresh session.
    /// </summary>
    /// <exception cref="SessionConflictException">The session could not be moved to a new ID; the old ID is deleted and nothing was saved.</exception>
    /// <exception cref="Storage.SessionStorageException">The storage failed.</exception>
    public async ValueTask RenewAsync(CancellationToken cancellationToken = default)
    {
        _feature.ThrowIfStarted();
        cancellationToken = OrAborted(cancellationToken);
        if (_sealed is not null)
        {
            await _sealed.RenewAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        ThrowIfSignedOut();
        await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        string oldId = _store.Id;
        bool stored = !_store.IsNew;
        SessionCommitResult result = await _store.CycleIdAsync(cancellationToken).ConfigureAwait(false);
        ILogger logger = _feature.Host.Logger;
        if (result == SessionCommitResult.Saved)
        {
            if (!stored) LogStarted(_store.Id);
            else if (logger.IsEnabled(LogLevel.Information)) Log.SessionRenewed(logger, _feature.Host.LogId(oldId), _feature.Host.LogId(_store.Id));
            return;
        }

        // A renewal is a privilege change: the old ID dies whatever it holds now, so a planted ID never carries the
        // login (a writer on the old ID can make the move fail, never make the login land on its ID).
        if (logger.IsEnabled(LogLevel.Warning)) Log.RenewFailed(logger, _feature.Host.LogId(oldId), result.ToString());
        await _feature.Host.Connector.DeleteAsync(oldId, cancellationToken).ConfigureAwait(false);
        _signedOut = true;
        throw new SessionConflictException(result == SessionCommitResult.Deleted
            ? "The session was signed out by another request while it was being renewed; nothing was saved."
            : "Another request kept changing this session while it was being renewed; its old ID is deleted and nothing was saved. Sign in again.");
    }

    /// <summary>Deletes the session now and expires the cookie with the response; a replayed old cookie finds nothing.</summary>
    public async ValueTask SignOutAsync(CancellationToken cancellationToken = default)
    {
        _feature.ThrowIfStarted();
        cancellationToken = OrAborted(cancellationToken);
        if (_sealed is not null)
        {
            await _sealed.SignOutAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_signedOut) return;
        await _store.DestroyAsync(cancellationToken).ConfigureAwait(false);
        _signedOut = true;
        ILogger logger = _feature.Host.Logger;
        if (logger.IsEnabled(LogLevel.Information)) Log.SessionSignedOut(logger, _feature.Host.LogId(_store.Id));
    }

    /// <summary>
    /// Commits now instead of when the response starts, so a failure reaches the endpoint (the middleware turns an
    /// unhandled one into 409 or 503 while the response can still change).
    /// </summary>
    /// <exception cref="SessionConflictException">Another request changed the session in a way that cannot be merged (or the policy is Reject); nothing was written.</exception>
    /// <exception cref="Storage.SessionStorageException">The storage failed; the previous record is intact.</exception>
    public async ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        _feature.ThrowIfStarted();
        cancellationToken = OrAborted(cancellationToken);
        if (_clearPending) await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        if (_sealed is not null)
        {
            await _sealed.CommitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        if (await CommitCoreAsync(cancellationToken).ConfigureAwait(false) == SessionCommitResult.Conflict)
        {
            throw new SessionConflictException("Another request changed this session after it was loaded, and the change could not be merged; nothing was written.");
        }
    }

    Task IResponseCommitter.OnResponseStartingAsync() =>
        _sealed is null && NothingToSend() ? Task.CompletedTask : OnResponseStartingCoreAsync();

    /// <summary>
    /// The common request, a read: nothing changed, no idle slide is due and the cookie (or header) stays as presented,
    /// so the response start has nothing to commit or send. The same conditions the full path below tests, without its
    /// state machines.
    /// </summary>
    private bool NothingToSend() =>
        !_signedOut && !_clearPending && !(_store.IsLoaded && _store.NeedsUpdate) && !MustIssue(_feature.Host);

    // The ID the response must carry: new or changed, or a persistent cookie whose expiry slid.
    private bool MustIssue(SessionConnectorHost host) =>
        !_store.IsNew && (!string.Equals(_store.Id, _presentedId, StringComparison.Ordinal) || (_header is null && host.Cookie.Persistent && _expirySlid));

    private async Task OnResponseStartingCoreAsync()
    {
        if (_sealed is not null)
        {
            await _sealed.OnResponseStartingAsync().ConfigureAwait(false);
            return;
        }

        HttpContext context = _feature.Context;
        SessionConnectorHost host = _feature.Host;
        if (!_signedOut && (_store.IsLoaded || _clearPending))
        {
            try
            {
                // Clear() on a session the endpoint never loaded: load it now so the clear is committed.
                if (_clearPending) await LoadCoreAsync(CancellationToken.None).ConfigureAwait(false);
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
            if (_presentedId is not null || _resumed) SessionTransport.Expire(context, host, _header);
        }
        else if (MustIssue(host))
        {
            SessionTransport.Issue(context, host, _header, _store.Id, _store.ExpiresAt);
        }
    }

    // A caller that passes no token still stops waiting on storage when the client goes away.
    private CancellationToken OrAborted(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? cancellationToken : _feature.Context.RequestAborted;

    private async ValueTask<SessionCommitResult> CommitCoreAsync(CancellationToken cancellationToken)
    {
        if (_signedOut) return SessionCommitResult.Deleted;
        DateTimeOffset? before = _store.ExpiresAt;
        bool wasNew = _store.IsNew;
        // Commits of one session queue on the connector's writer gate (SessionStore does it, for every host), and an
        // unchanged session returns before it without queueing.
        SessionCommitResult result = await _store.CommitAsync(cancellationToken).ConfigureAwait(false);

        if (result == SessionCommitResult.Saved)
        {
            if (_store.ExpiresAt != before) _expirySlid = true;
            if (wasNew) LogStarted(_store.Id);
            ILogger logger = _feature.Host.Logger;
            if (logger.IsEnabled(LogLevel.Debug)) Log.SessionStored(logger, _feature.Host.LogId(_store.Id));
        }

        if (result == SessionCommitResult.Deleted)
        {
            // A logout in another request wins: this request's changes are dropped on purpose and the cookie expired.
            Log.SessionDeletedMeanwhile(_feature.Host.Logger);
            _signedOut = true;
        }

        return result;
    }

    /// <summary>The keep-alive's load (<see cref="SessionConnectorWebOptions.RefreshOnEveryRequest{T}"/>): it runs when the response starts, after the middleware may have returned.</summary>
    internal ValueTask LoadForRefreshAsync() => LoadCoreAsync(CancellationToken.None);

    private ValueTask LoadCoreAsync(CancellationToken cancellationToken)
    {
        if (_store.IsLoaded) return default;
        ValueTask load = _store.LoadAsync(cancellationToken);
        if (!load.IsCompletedSuccessfully) return LoadAfterAsync(load);
        load.GetAwaiter().GetResult();
        AfterLoad();
        return default;
    }

    private async ValueTask LoadAfterAsync(ValueTask load)
    {
        await load.ConfigureAwait(false);
        AfterLoad();
    }

    private void AfterLoad()
    {
        if (_store.IsNew && _presentedId is not null) LogMiss(_presentedId);
        if (_clearPending)
        {
            _clearPending = false;
            if (!_store.IsNew) _store.Data = T.CreateDefault();
        }
    }

    // Once per request: the presented ID matched no live session (expired, signed out, or never issued here).
    private void LogMiss(string id)
    {
        if (_missLogged) return;
        _missLogged = true;
        ILogger logger = _feature.Host.Logger;
        if (logger.IsEnabled(LogLevel.Information)) Log.SessionExpired(logger, _feature.Host.LogId(id));
    }

    private void LogStarted(string id)
    {
        ILogger logger = _feature.Host.Logger;
        if (logger.IsEnabled(LogLevel.Information)) Log.SessionStarted(logger, _feature.Host.LogId(id));
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
