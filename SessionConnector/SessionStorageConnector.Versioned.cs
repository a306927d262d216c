using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Caching;
using SessionConnector.Internal;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;

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

    public VersionedSession(T value, long version, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, Serialization.PrincipalStamp? principal = null)
    {
        Principal = principal;
        Value = value;
        Version = version;
        _expiresAtTicks = ExpiryTicks.Of(expiresAt);
        _absoluteExpiresAtTicks = ExpiryTicks.Of(absoluteExpiresAt);
    }

    public T Value { get; }

    /// <summary>The principal the session is bound to (null when unbound); a commit seals it again.</summary>
    public Serialization.PrincipalStamp? Principal { get; }

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

/// <summary>
/// A versioned write's outcome; after a lost compare-and-set it also carries what the other writer committed (a copy the
/// caller owns), so the caller merges without reading the record again.
/// </summary>
internal readonly struct VersionedWriteResult<T>
{
    private VersionedWriteResult(VersionedWrite outcome, long newVersion, bool hasTheirs, VersionedSession<T> theirs)
    {
        Outcome = outcome;
        NewVersion = newVersion;
        HasTheirs = hasTheirs;
        Theirs = theirs;
    }

    public VersionedWrite Outcome { get; }

    /// <summary>The version written (<see cref="VersionedWrite.Written"/> only).</summary>
    public long NewVersion { get; }

    /// <summary>True when <see cref="Theirs"/> holds the committed session a <see cref="VersionedWrite.Conflict"/> lost to.</summary>
    public bool HasTheirs { get; }

    public VersionedSession<T> Theirs { get; }

    public static VersionedWriteResult<T> Deleted => new(VersionedWrite.Deleted, 0, false, default);

    public static VersionedWriteResult<T> Written(long newVersion) => new(VersionedWrite.Written, newVersion, false, default);

    public static VersionedWriteResult<T> Conflicted(VersionedSession<T> theirs, bool hasTheirs = true) =>
        new(VersionedWrite.Conflict, 0, hasTheirs, theirs);
}

// Versioned load/write: the primitives behind the per-request SessionStore<T>.
public sealed partial class SessionStorageConnector
{
    /// <summary>Loads the session with its version, from the cache when it holds a fresh copy.</summary>
    internal ValueTask<(bool Found, VersionedSession<T> Session)> TryLoadVersionedAsync<T>(string id, bool async, CancellationToken ct) where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (TryGetCachedEntry<T>(id, out CachedSession? entry, out T? value))
        {
            var session = new VersionedSession<T>(value, entry.Version, ExpiryTicks.ToExpiry(entry.ExpiresAtTicks), ExpiryTicks.ToExpiry(entry.AbsoluteExpiresAtTicks), entry.Principal);
            return new ValueTask<(bool, VersionedSession<T>)>((true, session));
        }

        return LoadCoreAsync<T>(id, async, ct);
    }

    /// <summary>Writes only if the stored version is still <paramref name="expectedVersion"/> (<see cref="SessionStorage.Absent"/> for a new session).</summary>
    /// <remarks><paramref name="principal"/>, when set, is sealed into the record (a bound session; see docs/principals.md).</remarks>
    internal async ValueTask<VersionedWriteResult<T>> WriteVersionedAsync<T>(string id, T value, long expectedVersion, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, bool async, CancellationToken ct, Serialization.PrincipalStamp? principal = null)
        where T : ISessionData<T>
    {
        EnsureOpen();
        SessionIds.Validate(id);
        string key = StorageKeyOf(id);

        // Another request of this process already committed a newer version (it is in the cache): the compare-and-set
        // would fail, so skip sealing a record that can never be written and hand back what that request committed.
        // Only the snapshot is looked at here; it is copied only on a conflict, so a commit that is not behind pays no clone.
        if (expectedVersion != SessionStorage.Absent &&
            TryGetCachedSnapshot<T>(id, out CachedSession? newer, out T? cached) && newer.Version > expectedVersion)
        {
            var theirs = new VersionedSession<T>(T.DeepClone(cached), newer.Version, ExpiryTicks.ToExpiry(newer.ExpiresAtTicks), ExpiryTicks.ToExpiry(newer.AbsoluteExpiresAtTicks), newer.Principal);
            return VersionedWriteResult<T>.Conflicted(theirs);
        }

        // Memory storage answers a version read in tens of nanoseconds: look before sealing, so a lost race wastes no
        // seal. On file and Redis storage that look would be a second I/O on every commit, dearer than the seal it saves
        // on the rare conflict.
        bool behind = UsesMemoryBackend &&
            await _store.ReadVersionAsync(key, async, ct, _time.GetUtcNow()).ConfigureAwait(false) != expectedVersion;
        if (!behind)
        {
            long invalidations = InvalidationCount(key);
            long changeStamp = ChangeStampOf(key);
            long newVersion = NextVersion(expectedVersion, Stripes.Of(key));
            byte[] envelope = Seal(key, value, newVersion, expiresAt, absoluteExpiresAt, principal);
            if (await _store.TryWriteAsync(key, envelope, expiresAt, expectedVersion, newVersion, async, ct).ConfigureAwait(false))
            {
                if (_cache is not null) CachePut(id, key, T.DeepClone(value), newVersion, expiresAt, absoluteExpiresAt, invalidations, ChangeTable.AfterOwnChange(changeStamp), principal);
                return VersionedWriteResult<T>.Written(newVersion);
            }
        }

        // Lost the compare-and-set (or would have). The record read here is the one the caller has to merge with: open it
        // now (one read, not a second one by the caller), so a conflict costs one storage round trip and one decrypt.
        long readInvalidations = InvalidationCount(key);
        long readChangeStamp = ChangeStampOf(key);
        StoredRecord? current = await _store.ReadAsync(key, async, ct).ConfigureAwait(false);
        if (current is { } record)
        {
            (bool found, VersionedSession<T> theirs) = await AdoptAsync<T>(id, key, record, readInvalidations, readChangeStamp, async, ct).ConfigureAwait(false);
            // A record that fails authentication was rejected and evicted: to this request the session is gone.
            return found ? VersionedWriteResult<T>.Conflicted(theirs) : VersionedWriteResult<T>.Deleted;
        }

        if (expectedVersion != SessionStorage.Absent)
        {
            CacheMarkDeleted(id, key);
            return VersionedWriteResult<T>.Deleted;
        }

        // A new session's ID was taken and released again meanwhile: nothing to merge with.
        _cache?.Remove(id);
        return VersionedWriteResult<T>.Conflicted(default, hasTheirs: false);
    }

    /// <summary>Serializes a value the way it would be stored, for change detection.</summary>
    internal byte[] Fingerprint<T>(T value) where T : ISessionData<T> =>
        Serialization.SessionPayload.Encode(value, _format, null, null).ToArray();

    /// <summary>Whether <paramref name="value"/> serializes to <paramref name="fingerprint"/>: the unchanged check of every commit, without a copy.</summary>
    internal bool MatchesFingerprint<T>(T value, byte[] fingerprint) where T : ISessionData<T> =>
        Serialization.SessionPayload.Encode(value, _format, null, null).SequenceEqual(fingerprint);

    internal TimeProvider Time => _time;
}
