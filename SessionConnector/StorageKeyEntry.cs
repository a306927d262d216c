using SessionConnector.Internal;

namespace SessionConnector;

/// <summary>
/// A session ID with its storage key (the keyed hash naming its record) and the key's stripe, as the connector's
/// <see cref="Caching.StorageKeyMemo"/> remembers them. Immutable: readers find it in the memo without a lock, so once published
/// it never changes.
/// </summary>
internal sealed class StorageKeyEntry
{
    public StorageKeyEntry(string id, int idHash, string storageKey)
    {
        Id = id;
        IdHash = idHash;
        StorageKey = storageKey;
        Stripe = Stripes.Of(storageKey);
    }

    public string Id { get; }

    /// <summary>The memo's hash of <see cref="Id"/>: compared before the ID itself, so a lookup skips most strings unread.</summary>
    public int IdHash { get; }

    public string StorageKey { get; }

    // Kept with the key: hashing 43 characters again on every write would cost as much as the memo lookup itself.
    // Writers of one session share a stripe: its gate, invalidation count and version-clock line (see Internal/Stripes).
    public int Stripe { get; }
}
