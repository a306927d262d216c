namespace SessionConnector.Caching;

/// <summary>
/// An immutable cache entry. <see cref="Snapshot"/> is never handed out: readers get a deep copy, so no caller
/// can change what another caller reads. A null snapshot is a deletion marker: it answers nothing but blocks a
/// slower reader from re-caching the version that existed before the delete.
/// </summary>
internal sealed class CachedSession : SieveEntry<string>
{
    public CachedSession(object? snapshot, long version, long expiresAtTicks, long absoluteExpiresAtTicks, long staleAtTicks, string storageKey)
    {
        Snapshot = snapshot;
        Version = version;
        ExpiresAtTicks = expiresAtTicks;
        AbsoluteExpiresAtTicks = absoluteExpiresAtTicks;
        StaleAtTicks = staleAtTicks;
        StorageKey = storageKey;
    }

    public object? Snapshot { get; }

    /// <summary>The storage version; versions of one session only grow, so the higher one is the newer.</summary>
    public long Version { get; }

    public long ExpiresAtTicks { get; }

    public long AbsoluteExpiresAtTicks { get; }

    public long StaleAtTicks { get; }

    public string StorageKey { get; }

    /// <summary>Replace the cached entry only with a newer (or same-version, re-read) one.</summary>
    public static bool IsNewer(CachedSession existing, CachedSession candidate) =>
        candidate.Version > existing.Version || (candidate.Version == existing.Version && existing.Snapshot is not null);
}
