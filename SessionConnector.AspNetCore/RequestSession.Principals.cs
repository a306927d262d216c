using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.AspNetCore;

// Principals on the web edge: bind at login together with the renewal, sign out everywhere, and the current user's list of
// sessions. A thin adapter: the binding, the generation and the index are the core's (see docs/principals.md).
public sealed partial class RequestSession<T>
{
    /// <summary>True when the loaded session is bound to a principal (signed in through <see cref="RenewAsync(string, string?, CancellationToken)"/>).</summary>
    public bool IsBound => _sealed?.IsBound ?? _store.IsBound;

    /// <summary>
    /// At login: binds the session to <paramref name="principalId"/> (a user or account id; only a keyed hash of it is
    /// stored) and renews its ID, in one call, as <see cref="RenewAsync(CancellationToken)"/> does. The new ID is bound from
    /// its first write, listed under <paramref name="label"/>, and ended by <see cref="SignOutEverywhereAsync"/>.
    /// </summary>
    /// <param name="principalId">The user or account id.</param>
    /// <param name="label">Shown in <see cref="ListSessionsAsync"/> (e.g. "Firefox on Linux").</param>
    /// <param name="cancellationToken">Cancels the storage calls.</param>
    /// <exception cref="SessionConflictException">
    /// The session could not be moved to a new ID, or the principal holds the most sessions allowed and the cap refuses new
    /// ones (<see cref="SessionCapPolicy.RefuseNew"/>); the old ID is deleted and nothing was saved.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="principalId"/> is null, empty or longer than 1,024 characters.</exception>
    /// <exception cref="InvalidOperationException">Sealed cookies without a store: a binding could never be revoked (docs/sealed.md).</exception>
    /// <remarks>With sealed cookies the label is not kept (sealed sessions are not listed); the cookie carries the binding.</remarks>
    public async ValueTask RenewAsync(string principalId, string? label = null, CancellationToken cancellationToken = default)
    {
        _feature.ThrowIfStarted();
        ThrowIfSignedOut();
        if (_sealed is not null)
        {
            await _sealed.RenewAsync(principalId, OrAborted(cancellationToken)).ConfigureAwait(false);
            return;
        }

        await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        await _store.BindPrincipalAsync(principalId, label, cancellationToken).ConfigureAwait(false);
        await RenewAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends every session of the principal this session is bound to, on every node (one write, see docs/principals.md),
    /// and signs this one out with the response. An unbound session is only signed out.
    /// </summary>
    public async ValueTask SignOutEverywhereAsync(CancellationToken cancellationToken = default)
    {
        _feature.ThrowIfStarted();
        if (IsSignedOut) return;
        if (_sealed is not null)
        {
            await _sealed.SignOutEverywhereAsync(OrAborted(cancellationToken)).ConfigureAwait(false);
            return;
        }

        await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        if (!_store.IsNew) await _feature.Host.Connector.SignOutEverywhereOfSessionAsync(_store.Id, cancellationToken).ConfigureAwait(false);
        await SignOutAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The live sessions of this session's principal ("your active sessions"), this one marked <see cref="PrincipalSession.IsCurrent"/>; empty when unbound.</summary>
    public async ValueTask<IReadOnlyList<PrincipalSession>> ListSessionsAsync(CancellationToken cancellationToken = default)
    {
        _feature.ThrowIfClosed();
        ThrowIfSignedOut();
        // Sealed sessions live in their cookies and are not indexed: there is nothing to list.
        if (_sealed is not null) return Array.Empty<PrincipalSession>();
        await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        if (_store.IsNew) return Array.Empty<PrincipalSession>();
        return await _feature.Host.Connector.ListSessionsOfSamePrincipalAsync(_store.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends one session of this session's principal by its handle (from <see cref="ListSessionsAsync"/>); false when there is none.</summary>
    public async ValueTask<bool> EndSessionAsync(string handle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        _feature.ThrowIfClosed();
        ThrowIfSignedOut();
        if (_sealed is not null) return false;
        await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        if (_store.IsNew) return false;
        return await _feature.Host.Connector.EndSessionOfSamePrincipalAsync(_store.Id, handle, cancellationToken).ConfigureAwait(false);
    }
}
