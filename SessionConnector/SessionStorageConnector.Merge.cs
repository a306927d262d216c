using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Serialization;
using SessionConnector.Storage;

namespace SessionConnector;

// Primitives behind SessionStore<T>'s merge and CycleId: decoding the base a request loaded, and a delete that
// happens only at the version the caller read.
public sealed partial class SessionStorageConnector
{
    /// <summary>Decodes a value from <see cref="Fingerprint{T}"/>'s bytes: the base of a three-way merge.</summary>
    /// <exception cref="SessionFormatException">The bytes do not decode as <typeparamref name="T"/>.</exception>
    internal T DecodeFingerprint<T>(byte[] fingerprint) where T : ISessionData<T> =>
        SessionPayload.Decode<T>(fingerprint, _format);

    /// <summary>
    /// Deletes the session only while storage still holds <paramref name="expectedVersion"/> (the storage's atomic
    /// compare-and-delete). False, with nothing changed, when the version moved on or the record is gone.
    /// </summary>
    internal async ValueTask<bool> TryDeleteAtVersionAsync(string id, long expectedVersion, bool async, CancellationToken ct)
    {
        EnsureOpen();
        SessionIds.Validate(id);
        if (expectedVersion == SessionStorage.Absent || expectedVersion == SessionStorage.AnyVersion) return false;
        string key = StorageKeyOf(id);
        if (!await _store.TryDeleteAsync(key, expectedVersion, async, ct).ConfigureAwait(false))
        {
            _cache?.Remove(id);
            return false;
        }

        CacheMarkDeleted(id, key);
        return true;
    }
}
