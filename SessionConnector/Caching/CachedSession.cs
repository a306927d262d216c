namespace SessionConnector.Caching;

/// <summary>
/// An immutable cache entry. <see cref="Snapshot"/> is never handed out: readers get a deep copy, so no caller
/// can change what another caller reads. A null snapshot is a deletion marker: it answers nothing but blocks a
/// slower reader from re-caching the version that existed before the delete.
/// </summary>
internal sealed class CachedSession : SieveEntry<string>
{
    public CachedSession(object? snapshot, long version, long expiresAtTicks, long absoluteExpiresAtTicks, long staleAtTicks, string storageKey, Serialization.PrincipalStamp? principal = null, int changeSlot = 0, long changeStamp = Storage.Files.ChangeTable.NoStamp)
    {
        ChangeSlot = changeSlot;
        ChangeStamp = changeStamp;
        Principal = principal;
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

    /// <summary>The idle expiry as UTC ticks, <see cref="Internal.ExpiryTicks.None"/> for none.</summary>
    public long ExpiresAtTicks { get; }

    /// <summary>The absolute expiry as UTC ticks, <see cref="Internal.ExpiryTicks.None"/> for none.</summary>
    public long AbsoluteExpiresAtTicks { get; }

    public long StaleAtTicks { get; }

    public string StorageKey { get; }

    /// <summary>The record's slot in the store's change table (see <see cref="Storage.Files.ChangeTable"/>), when it has one.</summary>
    public int ChangeSlot { get; }

    /// <summary>The slot's value this entry is current at: taken before the read, or the value after this process's write.</summary>
    public long ChangeStamp { get; }

    /// <summary>The principal stamp of a bound session (checked against the principal's generation on every hit); null when unbound.</summary>
    public Serialization.PrincipalStamp? Principal { get; }

    /// <summary>
    /// Until when (<see cref="System.Environment.TickCount64"/>) a hit may skip the session clock; 0 until the first
    /// precise check. Written racily by readers: every value written was a correct deadline when computed, and a lost
    /// write only sends one more hit through the precise check.
    /// </summary>
    internal long FreshUntilTick;

    /// <summary>Replace the cached entry only with a newer (or same-version, re-read) one.</summary>
    public static bool IsNewer(CachedSession existing, CachedSession candidate) =>
        candidate.Version > existing.Version || (candidate.Version == existing.Version && existing.Snapshot is not null);
}
