using SessionConnector.Caching;
using SessionConnector.Internal;

namespace SessionConnector;

/// <summary>
/// A session ID with its storage key (the keyed hash naming its record) and the key's stripe, as the connector's
/// memo (<see cref="IdMemo{TEntry}"/>) remembers them.
/// </summary>
internal sealed class StorageKeyEntry(string id, int idHash, string storageKey) : IdMemoEntry(id, idHash)
{
    public string StorageKey { get; } = storageKey;

    // Kept with the key: hashing 43 characters again on every write would cost as much as the memo lookup itself.
    // Writers of one session share a stripe: its gate, invalidation count and version-clock line (see Internal/Stripes).
    public int Stripe { get; } = Stripes.Of(storageKey);
}
