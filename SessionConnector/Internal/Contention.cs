using System.Threading;

namespace SessionConnector.Internal;

/// <summary>
/// Process-wide counts of contended moments, one per shared lock or line, so a run on a big machine shows which one
/// queues: each is counted only on the contended path (a lock found taken, a compare-and-set lost), never on the fast one.
/// Read by the benchmarks' thread sweep; not a public metric.
/// </summary>
internal static class Contention
{
    /// <summary>A memory-store writer found its key's slot lock taken, or lost a race to add the key.</summary>
    public static long MemoryStoreRetries;

    /// <summary>A memory-store writer over the bound found the eviction hand busy and left eviction to it.</summary>
    public static long MemoryStoreHand;

    /// <summary>The session cache's list lock was taken when a writer wanted it.</summary>
    public static long SieveCacheLock;

    /// <summary>A lock-free replacement in a session cache lost its compare-and-swap to another writer and looked again.</summary>
    public static long SieveCacheReplaceRaces;

    /// <summary>A writer found its session's gate (stripe) held and queued.</summary>
    public static long WriterGate;

    /// <summary>A version-clock stripe's compare-and-swap lost to another writer of the same stripe.</summary>
    public static long VersionClock;

    /// <summary>A thread took a fresh block of nonce counters from its epoch's shared counter.</summary>
    public static long NonceBlocks;

    // Interlocked: these are rare by construction, and a lost count would misread a big machine's run.
    public static void Count(ref long counter) => Interlocked.Increment(ref counter);

    /// <summary>All counters, by name, for a report.</summary>
    public static (string Name, long Value)[] Snapshot() =>
    [
        ("memory-store slot contended", Interlocked.Read(ref MemoryStoreRetries)),
        ("memory-store hand busy", Interlocked.Read(ref MemoryStoreHand)),
        ("session-cache lock contended", Interlocked.Read(ref SieveCacheLock)),
        ("session-cache replace raced", Interlocked.Read(ref SieveCacheReplaceRaces)),
        ("writer gate queued", Interlocked.Read(ref WriterGate)),
        ("version-clock stripe raced", Interlocked.Read(ref VersionClock)),
        ("nonce blocks taken", Interlocked.Read(ref NonceBlocks)),
    ];
}
