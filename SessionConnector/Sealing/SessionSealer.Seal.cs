using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Serialization;

namespace SessionConnector.Sealing;

// Sealing, renewal and sign-out: from a session to the Set-Cookie headers of the response.
public sealed partial class SessionSealer
{
    /// <summary>
    /// The cookies the response must set for <paramref name="session"/>: none when nothing changed (no change, no renewal,
    /// no idle slide due, no key rotation to catch up with), else the sealed session over as many cookies as it needs,
    /// plus deletions of chunks it no longer needs. A renewal (<see cref="SealedSession{T}.Renew"/>) gets a new cookie id.
    /// </summary>
    /// <param name="session">The session from <see cref="Open{T}"/>.</param>
    /// <param name="force">Seal even when nothing changed (for example to issue a cookie for a new, untouched session).</param>
    /// <returns>The cookies, each with its whole <c>Set-Cookie</c> header value.</returns>
    /// <exception cref="SessionCookieTooLargeException">The session needs more than MaxChunks cookies and no store is configured.</exception>
    /// <exception cref="InvalidOperationException">The session was signed out.</exception>
    /// <exception cref="Storage.SessionStorageException">A configured store failed (a spill or the retirement of a renewed cookie).</exception>
    public IReadOnlyList<SealedCookie> Seal<T>(SealedSession<T> session, bool force = false) where T : ISessionData<T> =>
        Sync.Result(SealCoreAsync(session, force, async: false, default));

    /// <summary>Async twin of <see cref="Seal{T}"/>.</summary>
    public ValueTask<IReadOnlyList<SealedCookie>> SealAsync<T>(SealedSession<T> session, bool force = false, CancellationToken cancellationToken = default) where T : ISessionData<T> =>
        SealCoreAsync(session, force, async: true, cancellationToken);

    /// <summary>
    /// Ends the session: returns the deletions of every cookie chunk, and with a store records the cookie id until the
    /// cookie would have expired, so a copy replayed later is refused. Without a store a copied cookie stays valid until
    /// it expires (docs/sealed.md).
    /// </summary>
    /// <exception cref="Storage.SessionStorageException">The store failed; the session is not signed out.</exception>
    public IReadOnlyList<SealedCookie> SignOut<T>(SealedSession<T> session) where T : ISessionData<T> =>
        Sync.Result(SignOutCoreAsync(session, async: false, default));

    /// <summary>Async twin of <see cref="SignOut{T}"/>.</summary>
    public ValueTask<IReadOnlyList<SealedCookie>> SignOutAsync<T>(SealedSession<T> session, CancellationToken cancellationToken = default) where T : ISessionData<T> =>
        SignOutCoreAsync(session, async: true, cancellationToken);

    private async ValueTask<IReadOnlyList<SealedCookie>> SealCoreAsync<T>(SealedSession<T> session, bool force, bool async, CancellationToken ct) where T : ISessionData<T>
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.IsSignedOut) throw new InvalidOperationException("The session was signed out; it cannot be sealed again.");
        DateTimeOffset now = _time.GetUtcNow();
        OpenedCookie? previous = session.Opened;
        bool renew = session.IsRenewPending || previous is null;
        bool needed = force || session.IsRenewPending || session.IsModified
            || (previous is not null && (previous.UsedOldKey || SlideDue(previous, now)));
        if (!needed)
        {
            // A fresh session nobody wrote to sets no cookie, but the stale or refused cookies it replaced go.
            return previous is null ? Deletions(0, session.PresentedChunks) : NoCookies;
        }

        DateTimeOffset absolute = previous?.AbsoluteExpiresAt ?? now + _lifetime;
        DateTimeOffset? idle = _idle is { } i ? Min(now + i, absolute) : null;
        DateTimeOffset expires = idle ?? absolute;
        if (expires <= now) throw new InvalidOperationException("The session reached its absolute expiry while this request ran; open it again.");

        // A new binding takes the principal's current generation (one read, a write at its first binding); a continued
        // bound session keeps the stamp it was opened with, so a sign-out-everywhere in between is never papered over.
        Serialization.PrincipalStamp? principal = session.PendingPrincipalId is { } principalId
            ? await _store!.StampPrincipalAsync(principalId, async, ct).ConfigureAwait(false)
            : previous?.Principal;
        byte bound = principal is null ? (byte)0 : SealedCookieFormat.KindBound;

        byte[] cookieId = renew ? NewCookieId() : previous!.CookieIdBytes;
        byte[] header = new byte[SealedCookieFormat.HeaderSize];
        SealedCookieFormat.WriteHeader(header, (byte)(SealedCookieFormat.KindInline | bound), cookieId, absolute, idle);
        string text = Encode(header, principal, SessionPayload.Encode(session.Data, _format, expires, absolute));
        List<string> pieces = SealedCookieChunks.Split(text, _capacity);

        string? spillId = null;
        if (pieces.Count > _maxChunks)
        {
            int budget = _capacity * _maxChunks;
            if (_store is null)
            {
                _metrics.Refused(text.Length, budget);
                throw new SessionCookieTooLargeException(text.Length, budget);
            }

            // A renewal moves the data to a new record too, so the old reference (in a copied cookie) finds nothing new.
            spillId = !renew && previous?.SpillId is { } same ? same : SessionIds.Generate();
            TimeSpan ttl = expires - now;
            bool written = async
                ? await _store.SetAsync(spillId, session.Data, ttl, ct).ConfigureAwait(false)
                : _store.Set(spillId, session.Data, ttl);
            if (!written) throw new Storage.SessionStorageException("The spilled session was deleted while it was written; nothing was sent.");
            _metrics.Spilled(text.Length, budget);
            header[1] = (byte)(SealedCookieFormat.KindSpilled | bound);
            text = Encode(header, principal, System.Text.Encoding.UTF8.GetBytes(spillId));
            pieces = SealedCookieChunks.Split(text, _capacity);
        }

        if (_store is not null && previous is not null)
        {
            if (previous.SpillId is { } oldSpill && !string.Equals(oldSpill, spillId, StringComparison.Ordinal))
            {
                if (async) await _store.DeleteAsync(oldSpill, ct).ConfigureAwait(false);
                else _store.Delete(oldSpill);
            }

            // A renewal retires the old cookie as a sign-out does: a copy taken before a login cannot follow it.
            if (renew) await RevokeAsync(previous, now, async, ct).ConfigureAwait(false);
        }

        var cookies = new List<SealedCookie>(Math.Max(pieces.Count, session.PresentedChunks));
        TimeSpan? maxAge = _persistent ? expires - now : null;
        for (int c = 0; c < pieces.Count; c++)
        {
            cookies.Add(Cookie(ChunkName(c), SealedCookieChunks.ChunkValue(c, pieces.Count, pieces[c]), maxAge));
        }

        for (int c = pieces.Count; c < session.PresentedChunks; c++) cookies.Add(Deletion(ChunkName(c)));
        session.Sealed(new OpenedCookie(cookieId, Internal.Base64Url.Encode(cookieId), absolute, idle, spillId, UsedOldKey: false, principal), pieces.Count);
        return cookies;
    }

    /// <summary>
    /// Ends every session of the principal <paramref name="session"/> is bound to: stored sessions and sealed cookies, on
    /// every node sharing the store (one generation bump, docs/principals.md), and signs this one out as
    /// <see cref="SignOut{T}"/> does. An unbound session is only signed out.
    /// </summary>
    /// <returns>The deletions of this session's cookies.</returns>
    /// <exception cref="Storage.SessionStorageException">The store failed.</exception>
    /// <exception cref="SessionConflictException">Other writers of the generation won every allowed attempt.</exception>
    public IReadOnlyList<SealedCookie> SignOutEverywhere<T>(SealedSession<T> session) where T : ISessionData<T> =>
        Sync.Result(SignOutEverywhereCoreAsync(session, async: false, default));

    /// <summary>Async twin of <see cref="SignOutEverywhere{T}"/>.</summary>
    public ValueTask<IReadOnlyList<SealedCookie>> SignOutEverywhereAsync<T>(SealedSession<T> session, CancellationToken cancellationToken = default) where T : ISessionData<T> =>
        SignOutEverywhereCoreAsync(session, async: true, cancellationToken);

    private async ValueTask<IReadOnlyList<SealedCookie>> SignOutEverywhereCoreAsync<T>(SealedSession<T> session, bool async, CancellationToken ct) where T : ISessionData<T>
    {
        ArgumentNullException.ThrowIfNull(session);
        // Bound as opened, or bound in this request and not sealed yet (a login followed by "sign out all my devices").
        byte[]? hash = session.Opened?.Principal?.Hash
            ?? (session.PendingPrincipalId is { } pending && _store is not null ? _store.PrincipalHashOf(pending) : null);
        if (!session.IsSignedOut && _store is not null && hash is not null)
        {
            await _store.SignOutEverywhereCoreAsync(hash, async, ct).ConfigureAwait(false);
        }

        return await SignOutCoreAsync(session, async, ct).ConfigureAwait(false);
    }

    private async ValueTask<IReadOnlyList<SealedCookie>> SignOutCoreAsync<T>(SealedSession<T> session, bool async, CancellationToken ct) where T : ISessionData<T>
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.IsSignedOut) return NoCookies;
        if (_store is not null && session.Opened is { } opened)
        {
            DateTimeOffset now = _time.GetUtcNow();
            await RevokeAsync(opened, now, async, ct).ConfigureAwait(false);
            if (opened.SpillId is { } spill)
            {
                if (async) await _store.DeleteAsync(spill, ct).ConfigureAwait(false);
                else _store.Delete(spill);
            }
        }

        session.IsSignedOut = true;
        return Deletions(0, Math.Max(session.PresentedChunks, 1));
    }

    /// <summary>Records the cookie id in the store until the cookie would have expired anyway (no longer is needed).</summary>
    private async ValueTask RevokeAsync(OpenedCookie cookie, DateTimeOffset now, bool async, CancellationToken ct)
    {
        if (cookie.ExpiresAt is not { } at || at <= now) return;
        TimeSpan ttl = at - now;
        string id = RevokedId(cookie.CookieIdBytes);
        if (async) await _store!.SetAsync(id, new SessionBag(), ttl, ct).ConfigureAwait(false);
        else _store!.Set(id, new SessionBag(), ttl);
    }

    private IReadOnlyList<SealedCookie> Deletions(int from, int to)
    {
        if (to <= from) return NoCookies;
        var list = new List<SealedCookie>(to - from);
        for (int c = from; c < to; c++) list.Add(Deletion(ChunkName(c)));
        return list;
    }

    // Re-seal when the idle expiry would move by half the idle timeout or more: a cookie is not re-sent on every request,
    // and a session still never outlives the idle timeout without activity (the rule stored sessions follow).
    private bool SlideDue(OpenedCookie cookie, DateTimeOffset now) =>
        _idle is { } idle && cookie.IdleExpiresAt is { } at && cookie.AbsoluteExpiresAt is { } abs && Min(now + idle, abs) - at >= idle / 2;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>As below; a bound session's plaintext starts with its principal stamp.</summary>
    private string Encode(byte[] header, Serialization.PrincipalStamp? principal, ReadOnlySpan<byte> payload) =>
        principal is null ? Encode(header, payload) : Encode(header, SealedCookieFormat.WithStamp(principal, payload));

    /// <summary>The base64url text of the header followed by the envelope of <paramref name="payload"/>.</summary>
    private string Encode(byte[] header, ReadOnlySpan<byte> payload)
    {
        byte[] envelope = _records.SealCookie(SealedCookieFormat.Context(_purpose, _name, header), payload);
        byte[] blob = new byte[header.Length + envelope.Length];
        header.CopyTo(blob, 0);
        envelope.CopyTo(blob, header.Length);
        return SealedCookieFormat.ToBase64Url(blob);
    }
}
