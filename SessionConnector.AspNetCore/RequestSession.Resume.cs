using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.AspNetCore.Internal;

namespace SessionConnector.AspNetCore;

public sealed partial class RequestSession<T>
{
    private bool _resumed;

    /// <summary>
    /// Issues a resume token for this session: short-lived (<see cref="SessionConnectorWebOptions.ResumeTokenLifetime"/>),
    /// single-use, redeemable on any node and after a restart with <see cref="ResumeAsync"/>. Hand it to a client that
    /// may lose its connection. Stored only as a keyed hash. Works after the response started (a WebSocket can send
    /// fresh tokens); a new session with changes is committed first.
    /// </summary>
    /// <exception cref="InvalidOperationException">There is no stored session to resume, or it was signed out.</exception>
    public async ValueTask<string> IssueResumeTokenAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfSealed();
        _feature.ThrowIfClosed();
        ThrowIfSignedOut();
        cancellationToken = OrAborted(cancellationToken);
        await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        if (_store.IsNew && _store.IsModified && !_feature.ResponseStarted) await CommitAsync(cancellationToken).ConfigureAwait(false);
        if (_store.IsNew) throw new InvalidOperationException("A resume token needs a stored session: change the session (sign in) first.");
        return await ResumeTokens.IssueAsync(_feature.Host, _store.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Trades a resume token for its session: on success this request's session becomes the resumed one (the response
    /// carries its ID, in the cookie or the session header) and the next token of the family is returned. The token is
    /// spent either way it is presented: of concurrent redemptions exactly one wins; a token presented again later is
    /// a replay, and the session is ended (the whole family is revoked), as refresh-token rotation does. Call it before
    /// using the session in this request: whatever this request did to its previous session is dropped.
    /// </summary>
    /// <returns>The next resume token; null when refused (unknown, expired, spent, or the session has ended).</returns>
    public async ValueTask<string?> ResumeAsync(string? token, CancellationToken cancellationToken = default)
    {
        ThrowIfSealed();
        _feature.ThrowIfStarted();
        ThrowIfSignedOut();
        cancellationToken = OrAborted(cancellationToken);
        (ResumeOutcome outcome, string? sessionId) = await ResumeTokens.RedeemAsync(_feature.Host, token, cancellationToken).ConfigureAwait(false);
        if (outcome != ResumeOutcome.Redeemed) return null;
        SessionStore<T> store = NewStore(sessionId);
        await store.LoadAsync(cancellationToken).ConfigureAwait(false);
        // Signed out or expired since the token was issued: the token dies with its session.
        if (store.IsNew) return null;
        _store = store;
        _clearPending = false;
        _resumed = true;
        return await ResumeTokens.IssueAsync(_feature.Host, sessionId!, cancellationToken).ConfigureAwait(false);
    }

    // A sealed-cookie session has no stored record for a resume token or a socket to stay bound to.
    private void ThrowIfSealed()
    {
        if (_sealed is not null) throw new InvalidOperationException("Resume tokens and session-bound WebSockets need a stored session; this route uses sealed cookies. Put it on the header transport (WithSessionHeader) or a stored session.");
    }
}
