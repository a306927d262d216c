using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using SessionConnector.Sealing;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>
/// What <see cref="RequestSession{T}"/> does when the app chose sealed cookies: the session is opened from the request's
/// cookies on first use and sealed into the response's. No compare-and-set and no merge: two requests that change one
/// sealed session race in the browser, and the last response's cookie wins (docs/sealed.md).
/// </summary>
internal sealed class SealedRequestBackend<T>(SessionRequestFeature feature, SessionSealer sealer) where T : ISessionData<T>
{
    private SealedSession<T>? _session;
    // Cookies already decided (by an explicit commit or a sign-out); replaced by a later seal in this request.
    private IReadOnlyList<SealedCookie>? _pending;

    public string Id => _session?.CookieId ?? string.Empty;

    public bool IsNew => _session is null || (_session.IsNew && _session.CookieId is null);

    public bool IsLoaded => _session is not null;

    public bool IsSignedOut => _session?.IsSignedOut == true;

    public DateTimeOffset? ExpiresAt => _session?.ExpiresAt;

    public T Data
    {
        get => Loaded.Data;
        set => Loaded.Data = value;
    }

    private SealedSession<T> Loaded => _session ?? throw new InvalidOperationException("Load the session first: await session.GetAsync() or LoadAsync().");

    public async ValueTask LoadAsync(CancellationToken ct)
    {
        ThrowIfSignedOut();
        if (_session is not null) return;
        HttpRequest request = feature.Context.Request;
        // The raw header, not Request.Cookies: a duplicated chunk must be seen to be refused, and the parser is hostile-safe.
        string? header = request.Headers.Cookie.Count switch
        {
            0 => null,
            1 => request.Headers.Cookie[0],
            _ => string.Join("; ", request.Headers.Cookie.ToArray()),
        };
        _session = await sealer.OpenAsync<T>(header, ct).ConfigureAwait(false);
    }

    public async ValueTask<T> UpdateAsync(Func<T, T> change, CancellationToken ct)
    {
        await LoadAsync(ct).ConfigureAwait(false);
        T updated = change(_session!.Data);
        if (updated is null) throw new InvalidOperationException("The update function returned null.");
        _session.Data = updated;
        await CommitAsync(ct).ConfigureAwait(false);
        return _session.Data;
    }

    public async ValueTask RenewAsync(CancellationToken ct)
    {
        await LoadAsync(ct).ConfigureAwait(false);
        _session!.Renew();
    }

    public bool IsBound => _session?.IsBound == true;

    /// <summary>At login: binds to the principal and renews the cookie id (throws without a store, as the core does).</summary>
    public async ValueTask RenewAsync(string principalId, CancellationToken ct)
    {
        await LoadAsync(ct).ConfigureAwait(false);
        _session!.BindPrincipal(principalId);
    }

    public async ValueTask SignOutEverywhereAsync(CancellationToken ct)
    {
        if (IsSignedOut) return;
        await LoadAsync(ct).ConfigureAwait(false);
        _pending = await sealer.SignOutEverywhereAsync(_session!, ct).ConfigureAwait(false);
    }

    public async ValueTask SignOutAsync(CancellationToken ct)
    {
        if (IsSignedOut) return;
        await LoadAsync(ct).ConfigureAwait(false);
        _pending = await sealer.SignOutAsync(_session!, ct).ConfigureAwait(false);
    }

    /// <summary>Seals now, so a too-large session or a store failure reaches the endpoint.</summary>
    public async ValueTask CommitAsync(CancellationToken ct)
    {
        if (_session is null || _session.IsSignedOut) return;
        IReadOnlyList<SealedCookie> cookies = await sealer.SealAsync(_session, force: false, ct).ConfigureAwait(false);
        if (cookies.Count > 0) _pending = cookies;
    }

    public async Task OnResponseStartingAsync()
    {
        HttpContext context = feature.Context;
        try
        {
            // The response is about to go out: a client disconnect must not tear the seal.
            if (_session is { IsSignedOut: false }) await CommitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (SessionCookieTooLargeException)
        {
            // Logged by the sealer's observer. Never a cookie the browser silently drops: the response says it failed.
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        catch (Storage.SessionStorageException e)
        {
            Log.StorageUnavailable(feature.Host.Logger, context.Request.Path, e);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        if (_pending is null) return;
        bool dropSecure = feature.Host.SecurePolicy == CookieSecurePolicy.SameAsRequest && !context.Request.IsHttps;
        foreach (SealedCookie cookie in _pending)
        {
            string header = cookie.SetCookieHeader;
            // SameAsRequest over plain http (Development): a Secure cookie would never come back, so the session would restart on every request.
            if (dropSecure) header = header.Replace("; Secure", string.Empty, StringComparison.Ordinal);
            context.Response.Headers.Append("Set-Cookie", header);
        }
    }

    private void ThrowIfSignedOut()
    {
        if (IsSignedOut) throw new InvalidOperationException("The session was signed out in this request.");
    }
}
