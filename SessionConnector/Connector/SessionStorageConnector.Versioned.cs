using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Caching;
using SessionConnector.Internal;
using SessionConnector.Storage;

namespace SessionConnector;

/// <summary>A session as <see cref="SessionStore{T}"/> sees it: its data plus what a later compare-and-set needs.</summary>
internal readonly record struct VersionedSession<T>(T Value, long Version, DateTimeOffset? ExpiresAt, DateTimeOffset? AbsoluteExpiresAt);

/// <summary>The outcome of a write conditioned on the version a request loaded.</summary>
internal enum VersionedWrite
{
    Written,
    Conflict,
    Deleted,
}

// Versioned load/write: the primitives behind the per-request SessionStore<T>.
public sealed partial class SessionStorageConnector
{
    internal bool TryLoadVersioned<T>(string id, out VersionedSession<T> session) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (TryGetCachedEntry<T>(id, out CachedSession? entry, out T? value))
        {
            session = new VersionedSession<T>(value, entry.Version, FromTicks(entry.ExpiresAtTicks), FromTicks(entry.AbsoluteExpiresAtTicks));
            return true;
        }

        if (_cache is not null) _metrics.CacheMiss();
        string key = StorageKeyOf(id);
        StoredRecord? record = StorageRead(key);
        return LoadedVersioned(id, key, record, out session);
    }

    internal async ValueTask<(bool Found, VersionedSession<T> Session)> TryLoadVersionedAsync<T>(string id, CancellationToken ct) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (TryGetCachedEntry<T>(id, out CachedSession? entry, out T? value))
        {
            return (true, new VersionedSession<T>(value, entry.Version, FromTicks(entry.ExpiresAtTicks), FromTicks(entry.AbsoluteExpiresAtTicks)));
        }

        if (_cache is not null) _metrics.CacheMiss();
        string key = StorageKeyOf(id);
        StoredRecord? record = await StorageReadAsync(key, ct).ConfigureAwait(false);
        bool found = LoadedVersioned(id, key, record, out VersionedSession<T> session);
        return (found, session);
    }

    private bool TryGetCachedEntry<T>(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CachedSession? entry, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value)
        where T : ISessionData<T>
    {
        if (_cache is not null && _cache.TryGet(id, out entry) && entry.Snapshot is T snapshot)
        {
            long now = NowTicks;
            if (entry.ExpiresAtTicks > now && entry.AbsoluteExpiresAtTicks > now && entry.StaleAtTicks > now)
            {
                _metrics.CacheHit();
                value = T.DeepClone(snapshot);
                return true;
            }

            _cache.Remove(id, entry); // expired or past its maximum age: drop it so the next read refreshes it
        }

        entry = null;
        value = default;
        return false;
    }

    private bool LoadedVersioned<T>(string id, string key, StoredRecord? record, out VersionedSession<T> session) where T : ISessionData<T>
    {
        session = default;
        if (record is null) return false;
        OpenResult result = TryOpen(id, record.Value, out Opened<T> opened);
        if (result != OpenResult.Ok)
        {
            if (result != OpenResult.UnknownKey) StorageDelete(key);
            _cache?.Remove(id);
            return false;
        }

        CachePut(id, key, opened.Value, record.Value.Version, opened.ExpiresAt, opened.AbsoluteExpiresAt);
        T value = _cache is null ? opened.Value : T.DeepClone(opened.Value);
        session = new VersionedSession<T>(value, record.Value.Version, opened.ExpiresAt, opened.AbsoluteExpiresAt);
        return true;
    }

    /// <summary>Writes only if the stored version is still <paramref name="expectedVersion"/> (<see cref="SessionStorage.Absent"/> for a new session).</summary>
    internal VersionedWrite WriteVersioned<T>(string id, T value, long expectedVersion, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, out long newVersion)
        where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        string key = StorageKeyOf(id);
        byte[] envelope = Seal(id, value, expiresAt, absoluteExpiresAt);
        newVersion = NextVersion(expectedVersion);
        if (StorageWrite(key, envelope, expiresAt, expectedVersion, newVersion))
        {
            CachePut(id, key, T.DeepClone(value), newVersion, expiresAt, absoluteExpiresAt);
            return VersionedWrite.Written;
        }

        return VersionedOutcome(id, key, expectedVersion, StorageRead(key));
    }

    internal async ValueTask<(VersionedWrite Outcome, long NewVersion)> WriteVersionedAsync<T>(string id, T value, long expectedVersion, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, CancellationToken ct)
        where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        string key = StorageKeyOf(id);
        byte[] envelope = Seal(id, value, expiresAt, absoluteExpiresAt);
        long newVersion = NextVersion(expectedVersion);
        if (await StorageWriteAsync(key, envelope, expiresAt, expectedVersion, newVersion, ct).ConfigureAwait(false))
        {
            CachePut(id, key, T.DeepClone(value), newVersion, expiresAt, absoluteExpiresAt);
            return (VersionedWrite.Written, newVersion);
        }

        StoredRecord? current = await StorageReadAsync(key, ct).ConfigureAwait(false);
        return (VersionedOutcome(id, key, expectedVersion, current), newVersion);
    }

    private VersionedWrite VersionedOutcome(string id, string key, long expectedVersion, StoredRecord? current)
    {
        if (current is null && expectedVersion != SessionStorage.Absent)
        {
            CacheMarkDeleted(id, key);
            return VersionedWrite.Deleted;
        }

        _cache?.Remove(id);
        return VersionedWrite.Conflict;
    }

    /// <summary>Serializes a value the way it would be stored, for change detection.</summary>
    internal byte[] Fingerprint<T>(T value) where T : ISessionData<T> =>
        Serialization.SessionPayload.Encode(value, _format, null, null).ToArray();

    internal TimeProvider Time => _time;

    private static DateTimeOffset? FromTicks(long ticks) => ticks == long.MaxValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
}
