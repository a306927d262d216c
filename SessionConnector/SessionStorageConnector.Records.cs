using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Records;
using SessionConnector.Storage;

namespace SessionConnector;

// The connector's side of the record pipeline (Records/RecordPipeline): its metrics and its cache around open, seal and reject.
public sealed partial class SessionStorageConnector
{
    /// <summary>Opens and decodes a record through the pipeline, counting why one is refused. Never throws for bad bytes.</summary>
    private OpenResult TryOpen<T>(string storageKey, in StoredRecord record, out Opened<T> opened) where T : ISessionData<T>
    {
        // Bound to the storage key rather than the raw ID (see docs/envelope-format.md): maintenance tools see only
        // storage keys and must authenticate and re-seal records. The key is a keyed hash of the ID, so the binding holds.
        OpenResult result = _records.TryOpen(storageKey, record.Version, record.Value, _time.GetUtcNow(), out opened);
        switch (result)
        {
            case OpenResult.Ok or OpenResult.Expired:
                break;
            case OpenResult.BadVersion:
                _metrics.Rejected("version");
                break;
            case OpenResult.UnknownKey:
                _metrics.Rejected("unknown-key");
                break;
            case OpenResult.BadPayload or OpenResult.Undecodable:
                _metrics.Rejected("undecodable");
                break;
            default:
                _metrics.Rejected("authentication");
                break;
        }

        return result;
    }

    /// <summary>Encodes and encrypts a session for storage at <paramref name="version"/>, which the envelope authenticates.</summary>
    private byte[] Seal<T>(string storageKey, T value, long version, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, Serialization.PrincipalStamp? principal = null) where T : ISessionData<T> =>
        _records.Seal(storageKey, value, _format, version, expiresAt, absoluteExpiresAt, principal);

    /// <summary>
    /// The fail-closed step after a record did not open (<see cref="RecordPipeline.Evicts"/>): a rejected or expired record
    /// is evicted, but only at the version that was read, so a fresh record another writer put there since survives; one
    /// under an unknown key or of another type stays for the readers that can use it. Either way this caller reads the
    /// session as absent.
    /// </summary>
    private async ValueTask RejectAsync(string id, string key, OpenResult result, long version, bool async, CancellationToken ct)
    {
        if (RecordPipeline.KeepsForOtherReaders(result)) return; // the cache may hold it as the type that can read it
        if (RecordPipeline.Evicts(result)) await _store.TryDeleteAsync(key, version, async, ct).ConfigureAwait(false);
        _cache?.Remove(id);
    }
}
