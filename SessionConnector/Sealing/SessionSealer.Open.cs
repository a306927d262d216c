using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Serialization;

namespace SessionConnector.Sealing;

// Opening: from a Cookie header to a session, refusing anything that is not this application's live cookie.
public sealed partial class SessionSealer
{
    /// <summary>
    /// Opens the session carried by a <c>Cookie</c> request header. Never throws for what the client sent: a missing,
    /// malformed, altered, expired, revoked or foreign cookie gives a fresh session (<see cref="SealedSession{T}.Status"/>
    /// says why). Does no storage I/O unless a store is configured.
    /// </summary>
    /// <param name="cookieHeader">The request's <c>Cookie</c> header (several headers joined with "; "), or null.</param>
    /// <exception cref="Storage.SessionStorageException">A configured store failed while checking the cookie.</exception>
    public SealedSession<T> Open<T>(string? cookieHeader) where T : ISessionData<T> =>
        Sync.Result(OpenCoreAsync<T>(cookieHeader, async: false, default));

    /// <summary>Async twin of <see cref="Open{T}"/> (real async I/O when a store is configured).</summary>
    public ValueTask<SealedSession<T>> OpenAsync<T>(string? cookieHeader, CancellationToken cancellationToken = default) where T : ISessionData<T> =>
        OpenCoreAsync<T>(cookieHeader, async: true, cancellationToken);

    private async ValueTask<SealedSession<T>> OpenCoreAsync<T>(string? cookieHeader, bool async, CancellationToken ct) where T : ISessionData<T>
    {
        SealedSessionStatus status = SealedCookieChunks.TryJoin(cookieHeader, _name, _maxChunks, out string? text, out int presented);
        if (status != SealedSessionStatus.Opened) return Fresh<T>(status, presented);

        byte[]? blob = SealedCookieFormat.FromBase64Url(text!);
        if (blob is null
            || blob.Length < SealedCookieFormat.MinimumSize
            || blob[0] != SealedCookieFormat.Marker
            || !SealedCookieFormat.IsKnownKind(blob[1])
            || !SealedCookieFormat.TryReadExpiry(blob, SealedCookieFormat.AbsoluteOffset, out DateTimeOffset? absolute)
            || !SealedCookieFormat.TryReadExpiry(blob, SealedCookieFormat.IdleOffset, out DateTimeOffset? idle)
            || absolute is null)
        {
            return Fresh<T>(SealedSessionStatus.Malformed, presented);
        }

        // The clear header is checked before any decryption; editing it cannot help (it is authenticated below), only fail.
        DateTimeOffset now = _time.GetUtcNow();
        if (absolute <= now || idle <= now) return Fresh<T>(SealedSessionStatus.Expired, presented);

        ReadOnlySpan<byte> envelope = blob.AsSpan(SealedCookieFormat.HeaderSize);
        string context = SealedCookieFormat.Context(_purpose, _name, blob);
        Records.OpenResult result = _records.TryOpenCookie(context, envelope, out byte[] payload, out bool usedOldKey);
        if (result != Records.OpenResult.Ok)
        {
            return Fresh<T>(result == Records.OpenResult.UnknownKey ? SealedSessionStatus.UnknownKey : SealedSessionStatus.Rejected, presented);
        }

        Serialization.PrincipalStamp? principal = null;
        if ((blob[1] & SealedCookieFormat.KindBound) != 0)
        {
            // Authentic but unreadable stamp: only a bug could mint it. Without a store nothing can say whether the
            // principal signed out everywhere since, so a bound cookie does not open (fail closed).
            if (!SealedCookieFormat.TryReadStamp(payload, out principal, out payload)) return Fresh<T>(SealedSessionStatus.Undecodable, presented);
            if (_store is null) return Fresh<T>(SealedSessionStatus.Revoked, presented);
        }

        byte[] cookieId = blob.AsSpan(SealedCookieFormat.CookieIdOffset, SealedCookieFormat.CookieIdSize).ToArray();
        if (_store is not null)
        {
            // The one read a store costs per request: a signed-out (or renewed-away) cookie id is recorded until it expires.
            (bool revoked, _) = async
                ? await _store.TryGetAsync<SessionBag>(RevokedId(cookieId), ct).ConfigureAwait(false)
                : (_store.TryGet<SessionBag>(RevokedId(cookieId), out _), (SessionBag?)null);
            if (revoked) return Fresh<T>(SealedSessionStatus.Revoked, presented);

            // A bound cookie's one further read (none when the backend's invalidations keep the generation cached):
            // sign out everywhere bumped the principal's generation past the stamp.
            if (principal is not null && !await _store.IsStampCurrentAsync(principal, async, ct).ConfigureAwait(false))
            {
                return Fresh<T>(SealedSessionStatus.Revoked, presented);
            }
        }

        T value;
        string? spillId = null;
        if ((blob[1] & ~SealedCookieFormat.KindBound) == SealedCookieFormat.KindSpilled)
        {
            spillId = System.Text.Encoding.UTF8.GetString(payload);
            if (_store is null || !SessionIds.IsValid(spillId)) return Fresh<T>(SealedSessionStatus.Undecodable, presented);
            (bool found, T? stored) = async
                ? await _store.TryGetAsync<T>(spillId, ct).ConfigureAwait(false)
                : (_store.TryGet<T>(spillId, out T? s), s);
            if (!found) return Fresh<T>(SealedSessionStatus.Undecodable, presented);
            value = stored!;
        }
        else
        {
            if (!SessionPayload.TryReadHeader(payload, out SessionFormat format, out _, out _)) return Fresh<T>(SealedSessionStatus.Undecodable, presented);
            try
            {
                value = SessionPayload.Decode<T>(payload, format);
            }
            catch (SessionFormatException)
            {
                return Fresh<T>(SealedSessionStatus.Undecodable, presented);
            }
        }

        var opened = new OpenedCookie(cookieId, Internal.Base64Url.Encode(cookieId), absolute, idle, spillId, usedOldKey, principal);
        return new SealedSession<T>(value, SealedSessionStatus.Opened, opened, presented) { CanBind = _store is not null };
    }

    private SealedSession<T> Fresh<T>(SealedSessionStatus status, int presented) where T : ISessionData<T>
    {
        if (status != SealedSessionStatus.None) _metrics.Rejected(status);
        return new SealedSession<T>(T.CreateDefault(), status, opened: null, presented) { CanBind = _store is not null };
    }
}
