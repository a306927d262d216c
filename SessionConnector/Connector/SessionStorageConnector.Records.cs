using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Serialization;
using SessionConnector.Storage;

namespace SessionConnector;

// Record seal/open: what turns a session into a stored envelope and back, and what happens to a record that does not open.
public sealed partial class SessionStorageConnector
{
    private enum OpenResult
    {
        Ok,
        Expired,

        /// <summary>Not authentic (bad tag, revoked key, garbage, an edited version): evicted.</summary>
        Rejected,

        /// <summary>Sealed under a key this node does not have yet: absent here, but left in place for nodes that do.</summary>
        UnknownKey,

        /// <summary>
        /// Authentic, but not readable as this caller's type (a member's type changed across a deploy, a wrong
        /// <c>Get&lt;T&gt;</c>, JSON disabled here): absent for this caller, left in place for readers that can decode it.
        /// </summary>
        Undecodable,
    }

    // Expiries are kept as ticks, not DateTimeOffset? (see ExpiryTicks).
    private readonly struct Opened<T>
    {
        private readonly long _expiresAtTicks;
        private readonly long _absoluteExpiresAtTicks;

        public Opened(T value, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt)
        {
            Value = value;
            _expiresAtTicks = ExpiryTicks.Of(expiresAt);
            _absoluteExpiresAtTicks = ExpiryTicks.Of(absoluteExpiresAt);
        }

        public T Value { get; }

        public DateTimeOffset? ExpiresAt => ExpiryTicks.ToExpiry(_expiresAtTicks);

        public DateTimeOffset? AbsoluteExpiresAt => ExpiryTicks.ToExpiry(_absoluteExpiresAtTicks);
    }

    /// <summary>Authenticates, decrypts and decodes a record. Never throws for bad bytes: they are "rejected".</summary>
    private OpenResult TryOpen<T>(string storageKey, in StoredRecord record, out Opened<T> opened) where T : ISessionData<T>
    {
        opened = default;
        if (!IsPlausibleVersion(record.Version))
        {
            _metrics.Rejected("version");
            return OpenResult.Rejected;
        }

        // Bound to the storage key rather than the raw ID (see docs/envelope-format.md): maintenance tools see only
        // storage keys and must authenticate and re-seal records. The key is a keyed hash of the ID, so the binding holds.
        if (!_protector.TryUnprotect(storageKey, record.Version, record.Value, out byte[]? payload, out _))
        {
            if (_protector.IsFromUnknownKey(record.Value))
            {
                _metrics.Rejected("unknown-key");
                return OpenResult.UnknownKey;
            }

            _metrics.Rejected("authentication");
            return OpenResult.Rejected;
        }

        // From here on the record is authentic: this node wrote it or holds its key, so failing to read it says something
        // about the reader, not the record.
        if (!SessionPayload.TryReadHeader(payload, out SessionFormat format, out DateTimeOffset? expiresAt, out DateTimeOffset? absolute))
        {
            _metrics.Rejected("undecodable");
            return OpenResult.Undecodable;
        }

        DateTimeOffset now = _time.GetUtcNow();
        if ((expiresAt is { } e && e <= now) || (absolute is { } a && a <= now)) return OpenResult.Expired;

        T value;
        try
        {
            value = SessionPayload.Decode<T>(payload, format);
        }
        catch (SessionFormatException)
        {
            _metrics.Rejected("undecodable");
            return OpenResult.Undecodable;
        }

        opened = new Opened<T>(value, expiresAt, absolute);
        return OpenResult.Ok;
    }

    /// <summary>Encodes and encrypts a session for storage at <paramref name="version"/>, which the envelope authenticates.</summary>
    private byte[] Seal<T>(string storageKey, T value, long version, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt) where T : ISessionData<T>
    {
        ReadOnlySpan<byte> payload = SessionPayload.Encode(value, _format, expiresAt, absoluteExpiresAt);
        return _protector.Protect(storageKey, version, payload);
    }

    /// <summary>
    /// The fail-closed step after a record did not open: a rejected or expired record is evicted, but only at the version
    /// that was read, so a fresh record another writer put there since survives; one under an unknown key or of another
    /// type stays for the readers that can use it. Either way this caller reads the session as absent.
    /// </summary>
    private async ValueTask RejectAsync(string id, string key, OpenResult result, long version, bool async, CancellationToken ct)
    {
        if (result == OpenResult.Undecodable) return; // the cache may hold it as the type that can read it
        if (result != OpenResult.UnknownKey) await _store.TryDeleteAsync(key, version, async, ct).ConfigureAwait(false);
        _cache?.Remove(id);
    }
}
