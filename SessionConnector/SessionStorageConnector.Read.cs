using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Reading;

namespace SessionConnector;

// Reading without copying: a view over the cache's own snapshot instead of a deep copy of it. The cache never mutates a
// snapshot (a write replaces the entry), so the view is consistent and stays valid after the call: it is the version read.
public sealed partial class SessionStorageConnector
{
    /// <summary>
    /// Reads a session as a read-only view (<c>out Player.View view</c>): on a cache hit, a view of the cached snapshot
    /// itself, with no copy and no allocation; on a miss, the record is loaded and cached as <see cref="Get{T}"/> does.
    /// The view cannot change the session or anything another reader sees, and it keeps reading the version it was
    /// taken from (a later write does not change it): it is a snapshot, not a live object.
    /// </summary>
    /// <typeparam name="TView">The generated <c>View</c> of a <c>[SessionData]</c> type.</typeparam>
    /// <returns>False (and a default view, which must not be read) when the session is missing, expired or rejected.</returns>
    /// <exception cref="InvalidSessionIdException">The ID is malformed.</exception>
    public bool TryRead<TView>(string id, out TView view) where TView : struct, ISessionDataView<TView> =>
        TView.TryRead(this, id, out view);

    /// <summary>Async twin of <see cref="TryRead{TView}"/>: a hit completes synchronously and allocates nothing.</summary>
    public ValueTask<(bool Found, TView View)> TryReadAsync<TView>(string id, CancellationToken cancellationToken = default)
        where TView : struct, ISessionDataView<TView> =>
        TView.TryReadAsync(this, id, cancellationToken);

    internal bool TryReadView<T, TView>(string id, out TView view)
        where T : ISessionData<T>
        where TView : struct, ISessionDataView<TView, T>
    {
        if (TryReadCachedSnapshot<T>(id, out T? snapshot))
        {
            view = TView.Create(snapshot);
            return true;
        }

        return LoadView<T, TView>(id, out view);
    }

    // Out of line, so the hit path above stays small enough to inline the cache lookup into.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool LoadView<T, TView>(string id, out TView view)
        where T : ISessionData<T>
        where TView : struct, ISessionDataView<TView, T>
    {
        (bool found, VersionedSession<T> session) = Sync.Result(LoadCoreAsync<T>(id, async: false, default, copy: false));
        view = found ? TView.Create(session.Value) : default;
        return found;
    }

    internal ValueTask<(bool Found, TView View)> TryReadViewAsync<T, TView>(string id, CancellationToken ct)
        where T : ISessionData<T>
        where TView : struct, ISessionDataView<TView, T>
    {
        if (TryReadCachedSnapshot<T>(id, out T? snapshot)) return new ValueTask<(bool, TView)>((true, TView.Create(snapshot)));
        return Core(id, ct);

        async ValueTask<(bool, TView)> Core(string id, CancellationToken ct)
        {
            (bool found, VersionedSession<T> session) = await LoadCoreAsync<T>(id, async: true, ct, copy: false).ConfigureAwait(false);
            return found ? (true, TView.Create(session.Value)) : default;
        }
    }

    /// <summary>The hit path of a view read; false sends the (validated) ID to the load core.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReadCachedSnapshot<T>(string id, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T snapshot)
        where T : ISessionData<T>
    {
        EnsureOpen();
        if (id is null) Throw.ArgumentNull("sessionId");

        // Only validated IDs ever enter the cache (every write, load and delete validates first), so a hit proves the ID
        // valid and the character scan can wait for a miss. The length bound keeps a huge hostile string from being hashed.
        if (id.Length <= SessionIds.MaxLength && TryGetCachedSnapshot(id, out _, out snapshot)) return true;
        SessionIds.Validate(id);
        snapshot = default;
        return false;
    }
}
