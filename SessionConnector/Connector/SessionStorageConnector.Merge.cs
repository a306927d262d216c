using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Serialization;
using SessionConnector.Storage;

namespace SessionConnector;

// Primitives behind SessionStore<T>'s merge and CycleId: decoding the base a request loaded, and a delete that
// happens only at the version the caller read (storage has no conditional delete; a compare-and-set does the check).
public sealed partial class SessionStorageConnector
{
    // Readers that meet a tombstone see an expired record (absent, and they evict it); storage drops it on its own
    // after this long if the process dies between the tombstone and the delete.
    private static readonly TimeSpan TombstoneStorageLifetime = TimeSpan.FromMinutes(1);

    /// <summary>Decodes a value from <see cref="Fingerprint{T}"/>'s bytes: the base of a three-way merge.</summary>
    /// <exception cref="SessionFormatException">The bytes do not decode as <typeparamref name="T"/>.</exception>
    internal T DecodeFingerprint<T>(byte[] fingerprint) where T : ISessionData<T> =>
        SessionPayload.Decode<T>(fingerprint, _format);

    /// <summary>
    /// Deletes the session only while storage still holds <paramref name="expectedVersion"/>: first a compare-and-set
    /// replaces it with a tombstone (an authentic record whose authenticated expiry has passed, so every reader sees it
    /// as absent), then the tombstone is deleted. False, with nothing changed, when the version moved on or the record
    /// is gone.
    /// </summary>
    internal async ValueTask<bool> TryDeleteAtVersionAsync(string id, long expectedVersion, bool async, CancellationToken ct)
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (expectedVersion == SessionStorage.Absent || expectedVersion == SessionStorage.AnyVersion) return false;
        string key = StorageKeyOf(id);
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset past = now - TimeSpan.FromSeconds(1);
        byte[] tombstone = Seal(id, new SessionBag(), past, past);
        long version = NextVersion(expectedVersion);
        bool replaced;
        if (async)
        {
            replaced = await StorageWriteAsync(key, tombstone, now + TombstoneStorageLifetime, expectedVersion, version, ct).ConfigureAwait(false);
        }
        else
        {
            replaced = StorageWrite(key, tombstone, now + TombstoneStorageLifetime, expectedVersion, version);
        }

        if (!replaced)
        {
            _cache?.Remove(id);
            return false;
        }

        if (async) await StorageDeleteAsync(key, ct).ConfigureAwait(false);
        else StorageDelete(key);
        CacheMarkDeleted(id, key);
        return true;
    }

    /// <summary>Sync entry to <see cref="TryDeleteAtVersionAsync"/>; completes synchronously, so nothing is blocked on.</summary>
    internal bool TryDeleteAtVersion(string id, long expectedVersion)
    {
        ValueTask<bool> task = TryDeleteAtVersionAsync(id, expectedVersion, async: false, CancellationToken.None);
        Debug.Assert(task.IsCompleted, "the sync path never awaits");
        return task.GetAwaiter().GetResult();
    }
}
