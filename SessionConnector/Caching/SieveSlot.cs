namespace SessionConnector.Caching;

/// <summary>
/// One position in a <see cref="ConcurrentSieveCache{TKey, TValue}"/>'s FIFO list: it stands for a key, not for a value, so
/// replacing the value of a cached key (the common write of a session store) changes only the dictionary and never the
/// list. Every field is guarded by the cache's write lock.
/// </summary>
internal sealed class SieveSlot<TKey>
{
    internal TKey Key = default!;
    internal SieveSlot<TKey>? Prev, Next;
    internal bool Linked;
}
