using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Principals;
using SessionConnector.Serialization;
using SessionConnector.Records;
using SessionConnector.Storage;

namespace SessionConnector;

// The per-principal index (Principals/PrincipalIndex): listing, ending one session by handle, the session cap, and the
// cleanup after a sign-out. Revocation never depends on it; the generation does that (SessionStorageConnector.Principals).
public sealed partial class SessionStorageConnector
{
    private Task _lastPrincipalCleanup = Task.CompletedTask;

    /// <summary>The latest background cleanup started by a sign-out (tests wait for it).</summary>
    internal Task LastPrincipalCleanup => Volatile.Read(ref _lastPrincipalCleanup);

    /// <summary>
    /// The live sessions bound to <paramref name="principalId"/>: id-free handles, sign-in time, expiry and label. Expired,
    /// signed-out, ended and rebound sessions are not listed (each entry is checked against its session record).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="principalId"/> is null, empty or longer than 1,024 characters.</exception>
    public IReadOnlyList<PrincipalSession> ListPrincipalSessions(string principalId) =>
        Sync.Result(ListPrincipalSessionsCoreAsync(PrincipalHashOf(principalId), async: false, default));

    /// <summary>Async twin of <see cref="ListPrincipalSessions"/>.</summary>
    public ValueTask<IReadOnlyList<PrincipalSession>> ListPrincipalSessionsAsync(string principalId, CancellationToken cancellationToken = default) =>
        ListPrincipalSessionsCoreAsync(PrincipalHashOf(principalId), async: true, cancellationToken);

    /// <summary>Ends the session of <paramref name="principalId"/> named by <paramref name="handle"/> (from a list); false when there is none.</summary>
    /// <exception cref="ArgumentException"><paramref name="principalId"/> is null, empty or longer than 1,024 characters.</exception>
    public bool EndPrincipalSession(string principalId, string handle) =>
        Sync.Result(EndPrincipalSessionCoreAsync(PrincipalHashOf(principalId), handle, async: false, default));

    /// <summary>Async twin of <see cref="EndPrincipalSession"/>.</summary>
    public ValueTask<bool> EndPrincipalSessionAsync(string principalId, string handle, CancellationToken cancellationToken = default) =>
        EndPrincipalSessionCoreAsync(PrincipalHashOf(principalId), handle, async: true, cancellationToken);

    private string IndexKeyOf(PrincipalStamp stamp) => StorageKeyOf("\u0001index\u0001" + stamp.Key);

    // 22 characters (132 bits) of a keyed hash of the storage key: names a session in a list without revealing or
    // allowing anyone to derive its ID.
    private string HandleOf(string sessionStorageKey) => StorageKeyOf("\u0001handle\u0001" + sessionStorageKey)[..22];

    private async ValueTask<(PrincipalIndex Index, long Version)> ReadIndexAsync(string indexKey, bool async, CancellationToken ct)
    {
        if (await _store.ReadAsync(indexKey, async, ct).ConfigureAwait(false) is not { } record) return (new PrincipalIndex(), SessionStorage.Absent);
        // A damaged or unreadable index starts over empty (written at its version): it only lists, caps and cleans up.
        if (_records.TryOpen(indexKey, record.Version, record.Value, _time.GetUtcNow(), out byte[] payload, out _) != OpenResult.Ok
            || !PrincipalIndex.TryRead(payload, out PrincipalIndex index))
        {
            return (new PrincipalIndex(), record.Version);
        }

        return (index, record.Version);
    }

    private async ValueTask<bool> TryWriteIndexAsync(string indexKey, PrincipalIndex index, long expectedVersion, bool async, CancellationToken ct)
    {
        if (index.Entries.Count == 0)
        {
            return expectedVersion == SessionStorage.Absent
                || await _store.TryDeleteAsync(indexKey, expectedVersion, async, ct).ConfigureAwait(false);
        }

        // The record lives as long as its longest-lived entry, so an index of expired sessions goes away by itself.
        long maxMs = 0;
        foreach (PrincipalIndex.Entry e in index.Entries) maxMs = e.ExpiresMs == 0 || maxMs == -1 ? -1 : Math.Max(maxMs, e.ExpiresMs);
        DateTimeOffset? expiresAt = maxMs == -1 ? null : DateTimeOffset.FromUnixTimeMilliseconds(maxMs);
        long version = NextVersion(expectedVersion, Stripes.Of(indexKey));
        byte[] envelope = _records.Reseal(indexKey, index.ToPayload(), version);
        return await _store.TryWriteAsync(indexKey, envelope, expiresAt, expectedVersion, version, async, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds the session to its principal's index under the cap, atomically (compare-and-set on the index record). Returns
    /// whether it was admitted and which entries the <see cref="SessionCapPolicy.EndOldest"/> policy pushed out (their
    /// records are the caller's to delete once its own write is done).
    /// </summary>
    private async ValueTask<(bool Admitted, List<PrincipalIndex.Entry> Ended)> AddToIndexAsync(
        PrincipalStamp stamp, string sessionKey, string? label, DateTimeOffset? expiresAt, bool async, CancellationToken ct)
    {
        string indexKey = IndexKeyOf(stamp);
        for (int attempt = 0; attempt < _maxAttempts; attempt++)
        {
            (PrincipalIndex index, long version) = await ReadIndexAsync(indexKey, async, ct).ConfigureAwait(false);
            long nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            index.Prune(nowMs, stamp.Generation);
            long created = nowMs;
            int existing = index.Entries.FindIndex(e => e.StorageKey == sessionKey);
            if (existing >= 0)
            {
                created = index.Entries[existing].CreatedMs;
                index.Entries.RemoveAt(existing);
            }

            var ended = new List<PrincipalIndex.Entry>();
            if (_maxSessionsPerPrincipal > 0 && index.Entries.Count >= _maxSessionsPerPrincipal)
            {
                // Only at the cap: drop entries whose session is gone (a logout deletes the record, not the entry).
                List<PrincipalIndex.Entry> live = new(index.Entries.Count);
                foreach (PrincipalIndex.Entry e in index.Entries)
                {
                    if (await _store.ReadAsync(e.StorageKey, async, ct).ConfigureAwait(false) is not null) live.Add(e);
                }

                index.Entries.Clear();
                index.Entries.AddRange(live);
                if (index.Entries.Count >= _maxSessionsPerPrincipal)
                {
                    if (_capPolicy == SessionCapPolicy.RefuseNew) return (false, ended);
                    index.Entries.Sort((x, y) => x.CreatedMs.CompareTo(y.CreatedMs));
                    int excess = index.Entries.Count - _maxSessionsPerPrincipal + 1;
                    ended.AddRange(index.Entries.GetRange(0, excess));
                    index.Entries.RemoveRange(0, excess);
                }
            }

            long expiresMs = expiresAt?.ToUnixTimeMilliseconds() ?? 0;
            index.Entries.Add(new PrincipalIndex.Entry(sessionKey, stamp.Generation, created, nowMs, expiresMs, PrincipalIndex.Clip(label)));
            if (await TryWriteIndexAsync(indexKey, index, version, async, ct).ConfigureAwait(false)) return (true, ended);
            await BackoffAsync(attempt, async, ct).ConfigureAwait(false);
        }

        Throw.Conflict(_maxAttempts);
        return default;
    }

    /// <summary>
    /// Indexes a session <see cref="SessionStore{T}"/> has just written bound (at <paramref name="writtenVersion"/>) under the
    /// cap. False when the cap refused it or a concurrent binding ended it: the record is then deleted again.
    /// </summary>
    internal async ValueTask<bool> IndexBoundSessionAsync(string id, PrincipalStamp stamp, string? label, DateTimeOffset? expiresAt, long writtenVersion, bool async, CancellationToken ct)
    {
        string key = StorageKeyOf(id);
        (bool admitted, List<PrincipalIndex.Entry> ended) = await AddToIndexAsync(stamp, key, label, expiresAt, async, ct).ConfigureAwait(false);
        foreach (PrincipalIndex.Entry e in ended) await DeleteByStorageKeyAsync(e.StorageKey, async, ct).ConfigureAwait(false);
        if (admitted && (_maxSessionsPerPrincipal == 0 || await IsIndexedAsync(stamp, key, async, ct).ConfigureAwait(false))) return true;
        await _store.TryDeleteAsync(key, writtenVersion, async, ct).ConfigureAwait(false);
        CacheMarkDeleted(id, key);
        return false;
    }

    /// <summary>Whether the index still lists the session (a concurrent <see cref="SessionCapPolicy.EndOldest"/> may have pushed it out).</summary>
    private async ValueTask<bool> IsIndexedAsync(PrincipalStamp stamp, string sessionKey, bool async, CancellationToken ct)
    {
        (PrincipalIndex index, _) = await ReadIndexAsync(IndexKeyOf(stamp), async, ct).ConfigureAwait(false);
        return index.Entries.Exists(e => e.StorageKey == sessionKey && e.Generation == stamp.Generation);
    }

    /// <summary>Deletes session records by storage key (sessions ended by the cap, by handle, or by a sign-out) and drops local copies.</summary>
    private async ValueTask DeleteByStorageKeyAsync(string sessionKey, bool async, CancellationToken ct)
    {
        await _store.DeleteAsync(sessionKey, async, ct).ConfigureAwait(false);
        // The cache is keyed by ID; only a backend with invalidations keeps the key-to-ID map, so this drops every local
        // copy there. Elsewhere a cached bound session is confirmed by storage on every hit (TryGetFreshBound) or, with
        // the file store's change table, by its slot, which the delete just moved.
        if (_invalidations is not null) OnStorageInvalidated(sessionKey);
    }

    /// <summary>
    /// After a bump: deletes the records of the sessions the index lists at older generations and rewrites the index
    /// without them. Best effort and off the caller's path: the sessions are already dead by their generation, and records
    /// that escape (an index that lost entries) expire on their own or are evicted by the first read.
    /// </summary>
    private void StartSignOutCleanup(PrincipalStamp current)
    {
        Task cleanup = Task.Run(async () =>
        {
            try
            {
                string indexKey = IndexKeyOf(current);
                for (int attempt = 0; attempt < 5; attempt++)
                {
                    (PrincipalIndex index, long version) = await ReadIndexAsync(indexKey, async: true, default).ConfigureAwait(false);
                    List<PrincipalIndex.Entry> stale = index.Entries.FindAll(e => e.Generation != current.Generation);
                    foreach (PrincipalIndex.Entry e in stale) await DeleteByStorageKeyAsync(e.StorageKey, async: true, default).ConfigureAwait(false);
                    index.Entries.RemoveAll(e => e.Generation != current.Generation);
                    if (stale.Count == 0 || await TryWriteIndexAsync(indexKey, index, version, async: true, default).ConfigureAwait(false)) return;
                }
            }
            catch (Exception) when (_closed)
            {
                // The connector closed under the cleanup: the generation already ended the sessions; their records expire.
            }
        });
        Volatile.Write(ref _lastPrincipalCleanup, cleanup);
    }

    /// <summary>
    /// The live sessions of the principal that session <paramref name="id"/> is bound to, the current one marked
    /// (<see cref="PrincipalSession.IsCurrent"/>): "your active sessions" without the app handling the principal id. Empty
    /// when the session is missing or unbound.
    /// </summary>
    /// <exception cref="InvalidSessionIdException">The ID is malformed.</exception>
    public async ValueTask<IReadOnlyList<PrincipalSession>> ListSessionsOfSamePrincipalAsync(string id, CancellationToken cancellationToken = default)
    {
        if (await CurrentStampOfAsync(id, cancellationToken).ConfigureAwait(false) is not { } stamp) return Array.Empty<PrincipalSession>();
        return await ListPrincipalSessionsCoreAsync(stamp.Hash, async: true, cancellationToken, current: StorageKeyOf(id)).ConfigureAwait(false);
    }

    /// <summary>Ends, by handle, a session of the principal that session <paramref name="id"/> is bound to; false when there is none.</summary>
    /// <exception cref="InvalidSessionIdException">The ID is malformed.</exception>
    public async ValueTask<bool> EndSessionOfSamePrincipalAsync(string id, string handle, CancellationToken cancellationToken = default)
    {
        if (await CurrentStampOfAsync(id, cancellationToken).ConfigureAwait(false) is not { } stamp) return false;
        return await EndPrincipalSessionCoreAsync(stamp.Hash, handle, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Signs out everywhere the principal that session <paramref name="id"/> is bound to (that session included), as
    /// <see cref="SignOutEverywhere"/> does; false when the session is missing, signed out already, or unbound.
    /// </summary>
    /// <exception cref="InvalidSessionIdException">The ID is malformed.</exception>
    public async ValueTask<bool> SignOutEverywhereOfSessionAsync(string id, CancellationToken cancellationToken = default)
    {
        if (await CurrentStampOfAsync(id, cancellationToken).ConfigureAwait(false) is not { } stamp) return false;
        await SignOutEverywhereCoreAsync(stamp.Hash, async: true, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The principal binding of session <paramref name="id"/> as an opaque string (the principal's keyed hash and the
    /// revocation generation the session is live at), for a record of the app's that must die with the sign-in, such as a
    /// resume token: check it later with <see cref="IsPrincipalBindingCurrentAsync"/>. Null when the session is missing,
    /// signed out already, or unbound. Store it only sealed: it names the principal (as a keyed hash) to whoever reads it.
    /// </summary>
    /// <exception cref="InvalidSessionIdException">The ID is malformed.</exception>
    public async ValueTask<string?> GetPrincipalBindingAsync(string id, CancellationToken cancellationToken = default)
    {
        if (await CurrentStampOfAsync(id, cancellationToken).ConfigureAwait(false) is not { } stamp) return null;
        return stamp.Key + "." + stamp.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Whether a binding from <see cref="GetPrincipalBindingAsync"/> is still current: false once the principal signed out
    /// everywhere (its generation moved on, on any node), when its generation record is lost or unreadable (fail closed),
    /// or when <paramref name="binding"/> is malformed.
    /// </summary>
    public async ValueTask<bool> IsPrincipalBindingCurrentAsync(string binding, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(binding);
        EnsureOpen();
        // 43 characters of base64url hash, a dot, a positive decimal generation; anything else matches no principal.
        if (binding.Length < 45 || binding[43] != '.') return false;
        if (!long.TryParse(binding.AsSpan(44), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long generation) || generation <= 0) return false;
        byte[] hash;
        try
        {
            hash = PrincipalRecords.FromBase64Url(binding[..43]);
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        return await IsStampCurrentAsync(new PrincipalStamp(hash, generation), async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stamp of a live bound session, or null (missing, unreadable, unbound or signed out).</summary>
    private async ValueTask<PrincipalStamp?> CurrentStampOfAsync(string id, CancellationToken ct)
    {
        EnsureOpen();
        SessionIds.Validate(id);
        string key = StorageKeyOf(id);
        if (await _store.ReadAsync(key, async: true, ct).ConfigureAwait(false) is not { } record) return null;
        if (_records.TryOpen(key, record.Version, record.Value, _time.GetUtcNow(), out _, out PayloadHeader header) != OpenResult.Ok) return null;
        if (header.Principal is not { } stamp || !await IsStampCurrentAsync(stamp, async: true, ct).ConfigureAwait(false)) return null;
        return stamp;
    }

    internal async ValueTask<IReadOnlyList<PrincipalSession>> ListPrincipalSessionsCoreAsync(byte[] principalHash, bool async, CancellationToken ct, string? current = null)
    {
        EnsureOpen();
        var probe = new PrincipalStamp(principalHash, 1);
        (long generation, _) = await ReadGenerationAsync(GenerationKeyOf(probe), trustCache: true, async, ct).ConfigureAwait(false);
        var sessions = new List<PrincipalSession>();
        if (generation <= 0) return sessions;
        var stamp = new PrincipalStamp(probe.Hash, generation);
        (PrincipalIndex index, _) = await ReadIndexAsync(IndexKeyOf(stamp), async, ct).ConfigureAwait(false);
        DateTimeOffset now = _time.GetUtcNow();
        index.Prune(now.ToUnixTimeMilliseconds(), generation);
        foreach (PrincipalIndex.Entry e in index.Entries)
        {
            // Listed only if the record is still there, opens, and is bound to this principal at the current generation.
            if (await _store.ReadAsync(e.StorageKey, async, ct).ConfigureAwait(false) is not { } record) continue;
            if (_records.TryOpen(e.StorageKey, record.Version, record.Value, now, out _, out PayloadHeader header) != OpenResult.Ok) continue;
            if (header.Principal is not { } bound || !bound.SamePrincipal(stamp) || bound.Generation != generation) continue;
            sessions.Add(new PrincipalSession(
                HandleOf(e.StorageKey),
                DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedMs),
                DateTimeOffset.FromUnixTimeMilliseconds(e.LastSeenMs),
                header.ExpiresAt,
                e.Label,
                e.StorageKey == current));
        }

        return sessions;
    }

    internal async ValueTask<bool> EndPrincipalSessionCoreAsync(byte[] principalHash, string handle, bool async, CancellationToken ct)
    {
        EnsureOpen();
        ArgumentNullException.ThrowIfNull(handle);
        var probe = new PrincipalStamp(principalHash, 1);
        string indexKey = IndexKeyOf(probe);
        for (int attempt = 0; attempt < _maxAttempts; attempt++)
        {
            (PrincipalIndex index, long version) = await ReadIndexAsync(indexKey, async, ct).ConfigureAwait(false);
            int at = index.Entries.FindIndex(e => HandleOf(e.StorageKey) == handle);
            if (at < 0) return false;
            string sessionKey = index.Entries[at].StorageKey;
            index.Entries.RemoveAt(at);
            // The record first: once it is gone the session is over, whatever happens to the index write.
            await DeleteByStorageKeyAsync(sessionKey, async, ct).ConfigureAwait(false);
            if (await TryWriteIndexAsync(indexKey, index, version, async, ct).ConfigureAwait(false)) return true;
            await BackoffAsync(attempt, async, ct).ConfigureAwait(false);
        }

        return true;
    }
}
