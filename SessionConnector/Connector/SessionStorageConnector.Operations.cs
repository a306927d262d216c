using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Storage;

namespace SessionConnector;

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
        if (TryGetCached(id, out value)) return true;
        if (_cache is not null) _metrics.CacheMiss();

        string key = StorageKeyOf(id);
        StoredRecord? record = StorageRead(key);
        if (record is null) return false;
        return Loaded(id, key, record.Value, out value);
    }

    /// <summary>Async twin of <see cref="Get{T}"/>.</summary>
    public ValueTask<T?> GetAsync<T>(string id, CancellationToken cancellationToken = default) where T : class, ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (TryGetCached<T>(id, out T? cached)) return new ValueTask<T?>(cached);
        return Core(id, cancellationToken);

        async ValueTask<T?> Core(string id, CancellationToken ct)
        {
            (bool found, T? value) = await LoadAsync<T>(id, ct).ConfigureAwait(false);
            return found ? value : null;
        }
    }

    /// <summary>Async twin of <see cref="TryGet{T}"/>.</summary>
    public ValueTask<(bool Found, T? Value)> TryGetAsync<T>(string id, CancellationToken cancellationToken = default) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (TryGetCached<T>(id, out T? cached)) return new ValueTask<(bool, T?)>((true, cached));
        return LoadAsync<T>(id, cancellationToken);
    }

    private async ValueTask<(bool Found, T? Value)> LoadAsync<T>(string id, CancellationToken ct) where T : ISessionData<T>
    {
        if (_cache is not null) _metrics.CacheMiss();
        string key = StorageKeyOf(id);
        StoredRecord? record = await StorageReadAsync(key, ct).ConfigureAwait(false);
        if (record is null) return (false, default);
        OpenResult result = TryOpen(id, record.Value, out Opened<T> opened);
        if (result != OpenResult.Ok)
        {
            if (result != OpenResult.UnknownKey) await StorageDeleteAsync(key, ct).ConfigureAwait(false);
            _cache?.Remove(id);
            return (false, default);
        }

        CachePut(id, key, opened.Value, record.Value.Version, opened.ExpiresAt, opened.AbsoluteExpiresAt);
        return (true, _cache is null ? opened.Value : T.DeepClone(opened.Value));
    }

    private bool Loaded<T>(string id, string key, in StoredRecord record, [MaybeNullWhen(false)] out T value) where T : ISessionData<T>
    {
        OpenResult result = TryOpen(id, record, out Opened<T> opened);
        if (result != OpenResult.Ok)
        {
            // Fail closed: a record that does not authenticate or decode is evicted, as is an expired one — except one
            // sealed under a key this node has not been given yet (see OpenResult.UnknownKey).
            if (result != OpenResult.UnknownKey) StorageDelete(key);
            _cache?.Remove(id);
            value = default;
            return false;
        }

        // The decoded instance becomes the cache's private snapshot; the caller gets its own copy.
        CachePut(id, key, opened.Value, record.Version, opened.ExpiresAt, opened.AbsoluteExpiresAt);
        value = _cache is null ? opened.Value : T.DeepClone(opened.Value);
        return true;
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
    public bool Set<T>(string id, T data, TimeSpan? expiry = null) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (data is null) Throw.ArgumentNull(nameof(data));
        ValidateExpiry(expiry);
        DateTimeOffset? expiresAt = ExpiryFromNow(expiry);
        string key = StorageKeyOf(id);
        byte[] envelope = Seal(id, data, expiresAt, expiresAt);
        // Snapshot now for the cache: the caller may keep mutating its instance after we return.
        T? snapshot = _cache is null ? default : T.DeepClone(data);

        // Same gate as Update: writers of one session in this process queue instead of starving each other.
        SemaphoreSlim gate = UpdateGate(key);
        gate.Wait();
        try
        {
            bool sawLive = false;
            for (int attempt = 0; attempt < _maxAttempts; attempt++)
            {
                StoredRecord? current = StorageRead(key);
                if (attempt == 0) sawLive = current is not null;
                else if (sawLive && current is null) return DeletedMeanwhile(id, key);
                long expected = current?.Version ?? SessionStorage.Absent;
                long version = NextVersion(expected);
                if (StorageWrite(key, envelope, expiresAt, expected, version))
                {
                    CachePut(id, key, snapshot!, version, expiresAt, expiresAt);
                    return true;
                }

                Backoff(attempt);
            }
        }
        finally
        {
            gate.Release();
        }

        Throw.Conflict(_maxAttempts);
        return false;
    }

    /// <summary>Async twin of <see cref="Set{T}"/>.</summary>
    public async ValueTask<bool> SetAsync<T>(string id, T data, TimeSpan? expiry = null, CancellationToken cancellationToken = default) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (data is null) Throw.ArgumentNull(nameof(data));
        ValidateExpiry(expiry);
        DateTimeOffset? expiresAt = ExpiryFromNow(expiry);
        string key = StorageKeyOf(id);
        byte[] envelope = Seal(id, data, expiresAt, expiresAt);
        T? snapshot = _cache is null ? default : T.DeepClone(data);

        SemaphoreSlim gate = UpdateGate(key);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            bool sawLive = false;
            for (int attempt = 0; attempt < _maxAttempts; attempt++)
            {
                StoredRecord? current = await StorageReadAsync(key, cancellationToken).ConfigureAwait(false);
                if (attempt == 0) sawLive = current is not null;
                else if (sawLive && current is null) return DeletedMeanwhile(id, key);
                long expected = current?.Version ?? SessionStorage.Absent;
                long version = NextVersion(expected);
                if (await StorageWriteAsync(key, envelope, expiresAt, expected, version, cancellationToken).ConfigureAwait(false))
                {
                    CachePut(id, key, snapshot!, version, expiresAt, expiresAt);
                    return true;
                }

                // Real time, not the session clock: backoff is about contention, and a fake clock would never fire.
                await Task.Delay(BackoffDelay(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
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
        return Update<T>(id, value =>
        {
            change(value);
            return value;
        });
    }

    /// <summary>
    /// Atomically replaces an existing session with <paramref name="change"/>(current), keeping its expiry (works for
    /// struct session types). <paramref name="change"/> may run more than once when other writers race.
    /// </summary>
    /// <returns>False (nothing written) when the session does not exist, expired, or was deleted meanwhile.</returns>
    /// <exception cref="SessionConflictException">Other writers won every one of the allowed attempts.</exception>
    public bool Update<T>(string id, Func<T, T> change) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        ArgumentNullException.ThrowIfNull(change);
        string key = StorageKeyOf(id);

        // Threads of this process queue on a stripe instead of burning compare-and-set retries against each
        // other; the compare-and-set below still guards against other processes.
        SemaphoreSlim gate = UpdateGate(key);
        gate.Wait();
        try
        {
            for (int attempt = 0; attempt < _maxAttempts; attempt++)
            {
                StoredRecord? current = StorageRead(key);
                if (current is null) return DeletedMeanwhile(id, key);
                OpenResult opening = TryOpen(id, current.Value, out Opened<T> opened);
                if (opening != OpenResult.Ok)
                {
                    if (opening != OpenResult.UnknownKey) StorageDelete(key);
                    _cache?.Remove(id);
                    return false;
                }

                T updated = change(opened.Value);
                if (updated is null) throw new InvalidOperationException("The update function returned null.");
                byte[] envelope = Seal(id, updated, opened.ExpiresAt, opened.AbsoluteExpiresAt);
                long version = NextVersion(current.Value.Version);
                if (StorageWrite(key, envelope, opened.ExpiresAt, current.Value.Version, version))
                {
                    CachePut(id, key, updated, version, opened.ExpiresAt, opened.AbsoluteExpiresAt);
                    return true;
                }

                Backoff(attempt);
            }
        }
        finally
        {
            gate.Release();
        }

        Throw.Conflict(_maxAttempts);
        return false;
    }

    /// <summary>Async twin of <see cref="Update{T}(string, Action{T})"/>.</summary>
    public ValueTask<bool> UpdateAsync<T>(string id, Action<T> change, CancellationToken cancellationToken = default) where T : class, ISessionData<T>
    {
        ArgumentNullException.ThrowIfNull(change);
        return UpdateAsync<T>(id, value =>
        {
            change(value);
            return value;
        }, cancellationToken);
    }

    /// <summary>Async twin of <see cref="Update{T}(string, Func{T, T})"/>.</summary>
    public async ValueTask<bool> UpdateAsync<T>(string id, Func<T, T> change, CancellationToken cancellationToken = default) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        ArgumentNullException.ThrowIfNull(change);
        string key = StorageKeyOf(id);
        SemaphoreSlim gate = UpdateGate(key);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (int attempt = 0; attempt < _maxAttempts; attempt++)
            {
                StoredRecord? current = await StorageReadAsync(key, cancellationToken).ConfigureAwait(false);
                if (current is null) return DeletedMeanwhile(id, key);
                OpenResult opening = TryOpen(id, current.Value, out Opened<T> opened);
                if (opening != OpenResult.Ok)
                {
                    if (opening != OpenResult.UnknownKey) await StorageDeleteAsync(key, cancellationToken).ConfigureAwait(false);
                    _cache?.Remove(id);
                    return false;
                }

                T updated = change(opened.Value);
                if (updated is null) throw new InvalidOperationException("The update function returned null.");
                byte[] envelope = Seal(id, updated, opened.ExpiresAt, opened.AbsoluteExpiresAt);
                long version = NextVersion(current.Value.Version);
                if (await StorageWriteAsync(key, envelope, opened.ExpiresAt, current.Value.Version, version, cancellationToken).ConfigureAwait(false))
                {
                    CachePut(id, key, updated, version, opened.ExpiresAt, opened.AbsoluteExpiresAt);
                    return true;
                }

                // Real time, not the session clock: backoff is about contention, and a fake clock would never fire.
                await Task.Delay(BackoffDelay(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }

        Throw.Conflict(_maxAttempts);
        return false;
    }

    /// <summary>Merges <paramref name="changes"/> into an untyped session (the seed's <c>update_session</c>), keeping its expiry.</summary>
    /// <returns>False when the session does not exist.</returns>
    public bool Update(string id, SessionBag changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return Update<SessionBag>(id, bag => bag.Merge(changes));
    }

    /// <summary>Async twin of <see cref="Update(string, SessionBag)"/>.</summary>
    public ValueTask<bool> UpdateAsync(string id, SessionBag changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return UpdateAsync<SessionBag>(id, bag => bag.Merge(changes), cancellationToken);
    }

    private static void Backoff(int attempt)
    {
        if (attempt < 4) Thread.SpinWait(20 << attempt);
        else Thread.Sleep(BackoffDelay(attempt));
    }

    // Randomised so two processes that collided do not collide again in lock-step.
    private static TimeSpan BackoffDelay(int attempt) =>
        TimeSpan.FromMilliseconds(Random.Shared.Next(0, Math.Min(1 << Math.Min(attempt, 6), 50) + 1));

    /// <summary>Deletes a session from storage and the cache. A write that read the session before this delete will not bring it back.</summary>
    /// <returns>True when a live session was removed.</returns>
    public bool Delete(string id)
    {
        EnsureOpen();
        SessionIds.Validate(id);
        string key = StorageKeyOf(id);
        bool deleted = StorageDelete(key);
        CacheMarkDeleted(id, key);
        return deleted;
    }

    /// <summary>Async twin of <see cref="Delete"/>.</summary>
    public async ValueTask<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        EnsureOpen();
        SessionIds.Validate(id);
        string key = StorageKeyOf(id);
        bool deleted = await StorageDeleteAsync(key, cancellationToken).ConfigureAwait(false);
        CacheMarkDeleted(id, key);
        return deleted;
    }

    /// <summary>Deletes every session in the storage and empties the cache.</summary>
    public void Clear()
    {
        EnsureOpen();
        _storage.Clear();
        _cache?.Clear();
        _idsByStorageKey?.Clear();
    }

    /// <summary>Async twin of <see cref="Clear"/>.</summary>
    public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        EnsureOpen();
        await _storage.ClearAsync(cancellationToken).ConfigureAwait(false);
        _cache?.Clear();
        _idsByStorageKey?.Clear();
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
    public void Close()
    {
        if (_closed) return;
        _closed = true;
        try
        {
            _storage.Flush();
        }
        finally
        {
            _storage.Dispose();
            _protector.Dispose();
            _ownedKeys?.Dispose();
            _metrics.Dispose();
            _cache?.Clear();
            _storageKeys.Clear();
        }
    }

    /// <summary>Async twin of <see cref="Close"/>.</summary>
    public async ValueTask CloseAsync()
    {
        if (_closed) return;
        _closed = true;
        try
        {
            await _storage.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            await _storage.DisposeAsync().ConfigureAwait(false);
            _protector.Dispose();
            _ownedKeys?.Dispose();
            _metrics.Dispose();
            _cache?.Clear();
            _storageKeys.Clear();
        }
    }
}
