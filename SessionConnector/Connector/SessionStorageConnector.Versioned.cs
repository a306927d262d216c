using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Caching;
using SessionConnector.Internal;
using SessionConnector.Storage;

namespace SessionConnector;

/// <summary>A session as <see cref="SessionStore{T}"/> sees it: its data plus what a later compare-and-set needs.</summary>
/// <remarks>
/// A plain struct keeping expiries as ticks, not a record struct of DateTimeOffset?: its field walker would box a
/// DateTimeOffset and link date formatting and time-zone data (~220 KB) into every NativeAOT app (see ExpiryTicks).
/// </remarks>
internal readonly struct VersionedSession<T>
{
    private readonly long _expiresAtTicks;
    private readonly long _absoluteExpiresAtTicks;

    public VersionedSession(T value, long version, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt)
    {
        Value = value;
        Version = version;
        _expiresAtTicks = ExpiryTicks.Of(expiresAt);
        _absoluteExpiresAtTicks = ExpiryTicks.Of(absoluteExpiresAt);
    }

    public T Value { get; }

    public long Version { get; }

    public DateTimeOffset? ExpiresAt => ExpiryTicks.ToExpiry(_expiresAtTicks);

    public DateTimeOffset? AbsoluteExpiresAt => ExpiryTicks.ToExpiry(_absoluteExpiresAtTicks);
}

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
        (bool found, session) = Sync.Result(TryLoadVersionedCoreAsync<T>(id, async: false, default));
        return found;
    }

    internal ValueTask<(bool Found, VersionedSession<T> Session)> TryLoadVersionedAsync<T>(string id, CancellationToken ct) where T : ISessionData<T> =>
        TryLoadVersionedCoreAsync<T>(id, async: true, ct);

    private ValueTask<(bool Found, VersionedSession<T> Session)> TryLoadVersionedCoreAsync<T>(string id, bool async, CancellationToken ct) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (TryGetCachedEntry<T>(id, out CachedSession? entry, out T? value))
        {
            var session = new VersionedSession<T>(value, entry.Version, FromTicks(entry.ExpiresAtTicks), FromTicks(entry.AbsoluteExpiresAtTicks));
            return new ValueTask<(bool, VersionedSession<T>)>((true, session));
        }

        return LoadCoreAsync<T>(id, async, ct);
    }

    /// <summary>Writes only if the stored version is still <paramref name="expectedVersion"/> (<see cref="SessionStorage.Absent"/> for a new session).</summary>
    internal VersionedWrite WriteVersioned<T>(string id, T value, long expectedVersion, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, out long newVersion)
        where T : ISessionData<T>
    {
        (VersionedWrite outcome, newVersion) = Sync.Result(WriteVersionedCoreAsync(id, value, expectedVersion, expiresAt, absoluteExpiresAt, async: false, default));
        return outcome;
    }

    internal ValueTask<(VersionedWrite Outcome, long NewVersion)> WriteVersionedAsync<T>(string id, T value, long expectedVersion, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, CancellationToken ct)
        where T : ISessionData<T> =>
        WriteVersionedCoreAsync(id, value, expectedVersion, expiresAt, absoluteExpiresAt, async: true, ct);

    private async ValueTask<(VersionedWrite Outcome, long NewVersion)> WriteVersionedCoreAsync<T>(string id, T value, long expectedVersion, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, bool async, CancellationToken ct)
        where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        string key = StorageKeyOf(id);
        long invalidations = InvalidationCount(key);
        long newVersion = NextVersion(expectedVersion);
        byte[] envelope = Seal(key, value, newVersion, expiresAt, absoluteExpiresAt);
        if (await _store.TryWriteAsync(key, envelope, expiresAt, expectedVersion, newVersion, async, ct).ConfigureAwait(false))
        {
            if (_cache is not null) CachePut(id, key, T.DeepClone(value), newVersion, expiresAt, absoluteExpiresAt, invalidations);
            return (VersionedWrite.Written, newVersion);
        }

        StoredRecord? current = await _store.ReadAsync(key, async, ct).ConfigureAwait(false);
        if (current is null && expectedVersion != SessionStorage.Absent)
        {
            CacheMarkDeleted(id, key);
            return (VersionedWrite.Deleted, newVersion);
        }

        _cache?.Remove(id);
        return (VersionedWrite.Conflict, newVersion);
    }

    /// <summary>Serializes a value the way it would be stored, for change detection.</summary>
    internal byte[] Fingerprint<T>(T value) where T : ISessionData<T> =>
        Serialization.SessionPayload.Encode(value, _format, null, null).ToArray();

    internal TimeProvider Time => _time;

    private static DateTimeOffset? FromTicks(long ticks) => ticks == long.MaxValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
}
