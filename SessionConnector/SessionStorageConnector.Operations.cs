using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Caching;
using SessionConnector.Internal;
using SessionConnector.Records;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;

namespace SessionConnector;

// The public operations. Each is written once, as a core taking `bool async` (as System.Net.Http's SendAsync does); the sync
// member runs it with async: false, where it only calls sync members and so completes before it returns.
public sealed partial class SessionStorageConnector
{
    /// <summary>Reads a session: from the cache when it holds a fresh copy, otherwise from storage.</summary>
    /// <returns>A copy the caller owns, or null when the session is missing, expired or failed authentication.</returns>
    /// <exception cref="InvalidSessionIdException">The ID is malformed.</exception>
    public T? Get<T>(string id) where T : class, ISessionData<T> => TryGet<T>(id, out T? value) ? value : null;

    /// <summary>Reads a session (works for struct session types too); false when missing, expired or rejected.</summary>
    /// <exception cref="InvalidSessionIdException">The ID is malformed.</exception>
    public bool TryGet<T>(string id, [MaybeNullWhen(false)] out T value) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        // A hit never reaches the core: no state machine, no allocation beyond the caller's copy.
        if (TryGetCachedEntry(id, out _, out value)) return true;
        (bool found, VersionedSession<T> session) = Sync.Result(LoadCoreAsync<T>(id, async: false, default));
        value = session.Value;
        return found;
    }

    /// <summary>Async twin of <see cref="Get{T}"/>.</summary>
    public ValueTask<T?> GetAsync<T>(string id, CancellationToken cancellationToken = default) where T : class, ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (TryGetCachedEntry<T>(id, out _, out T? cached)) return new ValueTask<T?>(cached);
        return Core(id, cancellationToken);

        async ValueTask<T?> Core(string id, CancellationToken ct)
        {
            (bool found, VersionedSession<T> session) = await LoadCoreAsync<T>(id, async: true, ct).ConfigureAwait(false);
            return found ? session.Value : null;
        }
    }

    /// <summary>Async twin of <see cref="TryGet{T}"/>.</summary>
    public ValueTask<(bool Found, T? Value)> TryGetAsync<T>(string id, CancellationToken cancellationToken = default) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (TryGetCachedEntry<T>(id, out _, out T? cached)) return new ValueTask<(bool, T?)>((true, cached));
        return Core(id, cancellationToken);

        async ValueTask<(bool, T?)> Core(string id, CancellationToken ct)
        {
            (bool found, VersionedSession<T> session) = await LoadCoreAsync<T>(id, async: true, ct).ConfigureAwait(false);
            return (found, session.Value);
        }
    }

    /// <summary>
    /// A cache miss: reads, opens and caches the stored record. The caller has validated the ID. With
    /// <c>copy: false</c> (a read-only view) the caller gets the cached snapshot itself, which it must never mutate.
    /// </summary>
    private async ValueTask<(bool Found, VersionedSession<T> Session)> LoadCoreAsync<T>(string id, bool async, CancellationToken ct, bool copy = true) where T : ISessionData<T>
    {
        // A bound session cached on file storage (no invalidations): storage is asked on every read, as before, whether its
        // principal was signed out everywhere (the generation record, no decrypt while it is unchanged) and whether the
        // session record is still the cached version (ended from the device list, deleted or changed by another process);
        // when both hold, the cached copy answers instead of opening (decrypting, decoding) and caching the record again.
        if (TryGetFreshBound<T>(id, out CachedSession? bound, out T? snapshot))
        {
            bool current;
            try
            {
                (long generation, _) = await ReadGenerationAsync(GenerationKeyOf(bound.Principal!), trustCache: false, async, ct).ConfigureAwait(false);
                current = generation == bound.Principal!.Generation
                    && await _store.ReadVersionAsync(bound.StorageKey, async, ct, _time.GetUtcNow()).ConfigureAwait(false) == bound.Version;
            }
            catch (SessionStorageException) when (_failSafeTicks > 0)
            {
                current = false; // storage is failing: the read below decides, with its fail-safe rules
            }

            if (current)
            {
                _metrics.CacheHit();
                T value = copy ? T.DeepClone(snapshot) : snapshot;
                return (true, new VersionedSession<T>(value, bound.Version, ExpiryTicks.ToExpiry(bound.ExpiresAtTicks), ExpiryTicks.ToExpiry(bound.AbsoluteExpiresAtTicks), bound.Principal));
            }
        }

        if (_cache is not null) _metrics.CacheMiss();
        string key = StorageKeyOf(id);
        long invalidations = InvalidationCount(key);
        long changeStamp = ChangeStampOf(key);
        StoredRecord? read;
        try
        {
            read = await _store.ReadAsync(key, async, ct).ConfigureAwait(false);
        }
        catch (SessionStorageException e) when (_failSafeTicks > 0)
        {
            if (TryServeStale(id, e, copy, out (bool, VersionedSession<T>) stale)) return stale;
            throw;
        }

        // Storage answered: a copy set aside for fail-safe is superseded by whatever it said.
        _failSafeCopies?.TryRemove(key, out _);
        if (read is not { } record)
        {
            // Storage says absent: a copy kept for fail-safe must never outlive that answer.
            if (_failSafeTicks > 0) ForgetStale(id);
            return default;
        }

        return await AdoptAsync<T>(id, key, record, invalidations, changeStamp, async, ct, copy).ConfigureAwait(false);
    }

    /// <summary>
    /// A record read from storage: opened and cached, or rejected and evicted (then "absent"). Shared by the load core
    /// and by a versioned write that lost its compare-and-set, so both treat a bad record the same way.
    /// </summary>
    private async ValueTask<(bool Found, VersionedSession<T> Session)> AdoptAsync<T>(string id, string key, StoredRecord record, long invalidations, long changeStamp, bool async, CancellationToken ct, bool copy = true)
        where T : ISessionData<T>
    {
        OpenResult result = TryOpen(key, record, out Opened<T> opened);
        if (result != OpenResult.Ok)
        {
            if (_failSafeTicks > 0) ForgetStale(id);
            await RejectAsync(id, key, result, record.Version, async, ct).ConfigureAwait(false);
            return default;
        }

        // Only a bound session pays for this check (one generation read, see SessionStorageConnector.Principals).
        if (opened.Principal is { } principal && !await IsStampCurrentAsync(principal, async, ct).ConfigureAwait(false))
        {
            await RejectSignedOutAsync(id, key, record.Version, async, ct).ConfigureAwait(false);
            return default;
        }

        // The decoded instance becomes the cache's private snapshot; the caller gets its own copy.
        CachePut(id, key, opened.Value, record.Version, opened.ExpiresAt, opened.AbsoluteExpiresAt, invalidations, changeStamp, opened.Principal);
        T value = _cache is null || !copy ? opened.Value : T.DeepClone(opened.Value);
        return (true, new VersionedSession<T>(value, record.Version, opened.ExpiresAt, opened.AbsoluteExpiresAt, opened.Principal));
    }

    /// <summary>
    /// Stores a session, replacing any existing data, and caches it. A positive <paramref name="expiry"/> sets an
    /// absolute lifetime from now; null keeps it until deleted.
    /// </summary>
    /// <returns>
    /// True when written. False when the session was deleted while this call was in flight: a delete (a logout)
    /// wins over a write that started before it.
    /// </returns>
    /// <exception cref="InvalidSessionIdException">The ID is malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="expiry"/> is zero or negative.</exception>
    public bool Set<T>(string id, T data, TimeSpan? expiry = null) where T : ISessionData<T> =>
        Sync.Result(SetCoreAsync(id, data, expiry, async: false, default));

    /// <summary>Async twin of <see cref="Set{T}"/>.</summary>
    public ValueTask<bool> SetAsync<T>(string id, T data, TimeSpan? expiry = null, CancellationToken cancellationToken = default) where T : ISessionData<T> =>
        SetCoreAsync(id, data, expiry, async: true, cancellationToken);

    private async ValueTask<bool> SetCoreAsync<T>(string id, T data, TimeSpan? expiry, bool async, CancellationToken ct) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (data is null) Throw.ArgumentNull(nameof(data));
        ValidateExpiry(expiry);
        // One clock read per Set: the expiry, the version floor and (memory storage on the same clock) the store's expiry
        // checks all take it. A record that expires while this call runs is then replaced as if still live, which is
        // what the Set does to it either way.
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset? expiresAt = expiry is { } e ? now + e : null;
        StorageKeyEntry storageKey = StorageKeyEntryOf(id);
        string key = storageKey.StorageKey;
        // Snapshot now for the cache: the caller may keep mutating its instance after we return. With a cache, the snapshot
        // is also what gets sealed, so storage and cache hold the same data whatever the caller does meanwhile.
        T? snapshot = _cache is null ? default : T.DeepClone(data);
        T sealedValue = _cache is null ? data : snapshot!;

        // Same gate as Update: writers of one session in this process queue instead of starving each other.
        PaddedGate gate = GateOf(storageKey.Stripe);
        bool sawLive = false, observed = false;
        if (!gate.TryEnter())
        {
            // Queued behind another writer: note now whether the session is live, so a delete that lands while this call
            // waits still wins and the Set does not resurrect the session.
            sawLive = await _store.ReadVersionAsync(key, async, ct, now).ConfigureAwait(false) != SessionStorage.Absent;
            observed = true;
            await gate.EnterAsync(async, ct).ConfigureAwait(false);
        }

        try
        {
            for (int attempt = 0; attempt < _maxAttempts; attempt++)
            {
                long invalidations = InvalidationCount(key);
                long changeStamp = ChangeStampOf(key);
                // Only the version: a Set replaces the record whatever it holds.
                long expected = await _store.ReadVersionAsync(key, async, ct, now).ConfigureAwait(false);
                if (!observed)
                {
                    sawLive = expected != SessionStorage.Absent;
                    observed = true;
                }
                else if (sawLive && expected == SessionStorage.Absent)
                {
                    return DeletedMeanwhile(id, key);
                }

                long version = NextVersion(expected, now.UtcTicks, storageKey.Stripe);
                byte[] envelope = Seal(key, sealedValue, version, expiresAt, expiresAt);
                if (await _store.TryWriteAsync(key, envelope, expiresAt, expected, version, async, ct, now).ConfigureAwait(false))
                {
                    CachePut(id, key, snapshot!, version, expiresAt, expiresAt, invalidations, ChangeTable.AfterOwnChange(changeStamp));
                    return true;
                }

                await BackoffAsync(attempt, async, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Exit();
        }

        Throw.Conflict(_maxAttempts);
        return false;
    }

    private bool DeletedMeanwhile(string id, string key)
    {
        CacheMarkDeleted(id, key);
        return false;
    }

    /// <summary>
    /// Atomically changes an existing session in place and keeps its expiry. <paramref name="change"/> gets a
    /// private copy; it may run more than once when other writers race, so it must have no other side effects, and it must
    /// not write the same session through this connector (writers of one session queue behind each other).
    /// </summary>
    /// <returns>False (nothing written) when the session does not exist, expired, or was deleted meanwhile.</returns>
    /// <exception cref="SessionConflictException">Other writers won every one of the allowed attempts.</exception>
    public bool Update<T>(string id, Action<T> change) where T : class, ISessionData<T>
    {
        ArgumentNullException.ThrowIfNull(change);
        return Sync.Result(UpdateCoreAsync<T, MutationChange<T>>(id, new(change), async: false, default));
    }

    /// <summary>
    /// Atomically replaces an existing session with <paramref name="change"/>(current), keeping its expiry (works for
    /// struct session types). <paramref name="change"/> may run more than once when other writers race.
    /// </summary>
    /// <returns>False (nothing written) when the session does not exist, expired, or was deleted meanwhile.</returns>
    /// <exception cref="SessionConflictException">Other writers won every one of the allowed attempts.</exception>
    public bool Update<T>(string id, Func<T, T> change) where T : ISessionData<T> =>
        Sync.Result(UpdateCoreAsync<T, FunctionChange<T>>(id, new(change), async: false, default));

    /// <summary>Async twin of <see cref="Update{T}(string, Action{T})"/>.</summary>
    public ValueTask<bool> UpdateAsync<T>(string id, Action<T> change, CancellationToken cancellationToken = default) where T : class, ISessionData<T>
    {
        ArgumentNullException.ThrowIfNull(change);
        return UpdateCoreAsync<T, MutationChange<T>>(id, new(change), async: true, cancellationToken);
    }

    /// <summary>Async twin of <see cref="Update{T}(string, Func{T, T})"/>.</summary>
    public ValueTask<bool> UpdateAsync<T>(string id, Func<T, T> change, CancellationToken cancellationToken = default) where T : ISessionData<T> =>
        UpdateCoreAsync<T, FunctionChange<T>>(id, new(change), async: true, cancellationToken);

    /// <summary>Merges <paramref name="changes"/> into an untyped session (the seed's <c>update_session</c>), keeping its expiry.</summary>
    /// <returns>False when the session does not exist.</returns>
    public bool Update(string id, SessionBag changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return Sync.Result(UpdateCoreAsync<SessionBag, MergeChange>(id, new(changes), async: false, default));
    }

    /// <summary>Async twin of <see cref="Update(string, SessionBag)"/>.</summary>
    public ValueTask<bool> UpdateAsync(string id, SessionBag changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return UpdateCoreAsync<SessionBag, MergeChange>(id, new(changes), async: true, cancellationToken);
    }

    private async ValueTask<bool> UpdateCoreAsync<T, TChange>(string id, TChange change, bool async, CancellationToken ct)
        where T : ISessionData<T>
        where TChange : ISessionChange<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        change.ThrowIfMissing();
        StorageKeyEntry storageKey = StorageKeyEntryOf(id);
        string key = storageKey.StorageKey;

        // Threads of this process queue on a stripe instead of burning compare-and-set retries against each
        // other; the compare-and-set below still guards against other processes.
        PaddedGate gate = GateOf(storageKey.Stripe);
        await gate.EnterAsync(async, ct).ConfigureAwait(false);
        try
        {
            for (int attempt = 0; attempt < _maxAttempts; attempt++)
            {
                long invalidations = InvalidationCount(key);
                long changeStamp = ChangeStampOf(key);
                if (await _store.ReadAsync(key, async, ct).ConfigureAwait(false) is not { } current) return DeletedMeanwhile(id, key);
                OpenResult opening = TryOpen(key, current, out Opened<T> opened);
                if (opening != OpenResult.Ok)
                {
                    await RejectAsync(id, key, opening, current.Version, async, ct).ConfigureAwait(false);
                    return false;
                }

                if (opened.Principal is { } principal && !await IsStampCurrentAsync(principal, async, ct).ConfigureAwait(false))
                {
                    await RejectSignedOutAsync(id, key, current.Version, async, ct).ConfigureAwait(false);
                    return false;
                }

                T updated = change.Apply(opened.Value);
                if (updated is null) throw new InvalidOperationException("The update function returned null.");
                long version = NextVersion(current.Version, storageKey.Stripe);
                byte[] envelope = Seal(key, updated, version, opened.ExpiresAt, opened.AbsoluteExpiresAt, opened.Principal);
                if (await _store.TryWriteAsync(key, envelope, opened.ExpiresAt, current.Version, version, async, ct).ConfigureAwait(false))
                {
                    // The delegate saw `updated` and may have kept it: cache a copy of its own.
                    if (_cache is not null) CachePut(id, key, T.DeepClone(updated), version, opened.ExpiresAt, opened.AbsoluteExpiresAt, invalidations, ChangeTable.AfterOwnChange(changeStamp), opened.Principal);
                    return true;
                }

                await BackoffAsync(attempt, async, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Exit();
        }

        Throw.Conflict(_maxAttempts);
        return false;
    }

    private static ValueTask BackoffAsync(int attempt, bool async, CancellationToken ct)
    {
        // Real time, not the session clock: backoff is about contention, and a fake clock would never fire.
        if (async) return new ValueTask(Task.Delay(BackoffDelay(attempt), ct));
        if (attempt < 4) Thread.SpinWait(20 << attempt);
        else Thread.Sleep(BackoffDelay(attempt));
        return default;
    }

    // Randomised so two processes that collided do not collide again in lock-step.
    private static TimeSpan BackoffDelay(int attempt) =>
        TimeSpan.FromMilliseconds(Random.Shared.Next(0, Math.Min(1 << Math.Min(attempt, 6), 50) + 1));

    /// <summary>Deletes a session from storage and the cache. A write that read the session before this delete will not bring it back.</summary>
    /// <returns>True when a live session was removed.</returns>
    public bool Delete(string id) => Sync.Result(DeleteCoreAsync(id, async: false, default));

    /// <summary>Async twin of <see cref="Delete"/>.</summary>
    public ValueTask<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) => DeleteCoreAsync(id, async: true, cancellationToken);

    internal async ValueTask<bool> DeleteCoreAsync(string id, bool async, CancellationToken ct)
    {
        EnsureOpen();
        SessionIds.Validate(id);
        string key = StorageKeyOf(id);
        bool deleted;
        try
        {
            deleted = await _store.DeleteAsync(key, async, ct).ConfigureAwait(false);
        }
        catch
        {
            // A sign-out that failed (or was cancelled) may or may not have reached storage: fail closed and drop the
            // cached copy, so neither the cache nor a fail-safe read serves a session its owner tried to end.
            _cache?.Remove(id);
            _failSafeCopies?.TryRemove(key, out _);
            throw;
        }

        _failSafeCopies?.TryRemove(key, out _);
        CacheMarkDeleted(id, key);
        return deleted;
    }

    /// <summary>Deletes every session in the storage and empties the cache.</summary>
    public void Clear() => Sync.Wait(ClearCoreAsync(async: false, default));

    /// <summary>Async twin of <see cref="Clear"/>.</summary>
    public ValueTask ClearAsync(CancellationToken cancellationToken = default) => ClearCoreAsync(async: true, cancellationToken);

    private async ValueTask ClearCoreAsync(bool async, CancellationToken ct)
    {
        EnsureOpen();
        if (async) await _storage.ClearAsync(ct).ConfigureAwait(false);
        else _storage.Clear();
        _cache?.Clear();
        _failSafeCopies?.Clear();
    }

    /// <summary>Flushes a backend that buffers writes (the seed's <c>save</c>).</summary>
    public void Save()
    {
        EnsureOpen();
        _storage.Flush();
    }

    /// <summary>Async twin of <see cref="Save"/>.</summary>
    public ValueTask SaveAsync(CancellationToken cancellationToken = default)
    {
        EnsureOpen();
        return _storage.FlushAsync(cancellationToken);
    }

    /// <summary>Removes expired records from storage now (file storage removes them lazily otherwise).</summary>
    public int PurgeExpired()
    {
        EnsureOpen();
        return _storage.PurgeExpired();
    }

    /// <summary>Flushes and closes the storage. Later calls throw <see cref="SessionStorageConnectorException"/>.</summary>
    public void Close() => Sync.Wait(CloseCoreAsync(async: false));

    /// <summary>Async twin of <see cref="Close"/>.</summary>
    public ValueTask CloseAsync() => CloseCoreAsync(async: true);

    private async ValueTask CloseCoreAsync(bool async)
    {
        if (_closed) return;
        _closed = true;
        try
        {
            if (async) await _storage.FlushAsync().ConfigureAwait(false);
            else _storage.Flush();
        }
        finally
        {
            if (async) await _storage.DisposeAsync().ConfigureAwait(false);
            else _storage.Dispose();
            _protector.Dispose();
            _ownedKeys?.Dispose();
            _metrics.Dispose();
            _cache?.Clear();
            _failSafeCopies?.Clear();
            _storageKeys.Clear();
        }
    }
}
