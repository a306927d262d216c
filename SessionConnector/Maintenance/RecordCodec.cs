using System;
using System.Buffers.Binary;
using SessionConnector.Protection;
using SessionConnector.Serialization;
using SessionConnector.Storage;

namespace SessionConnector.Maintenance;

/// <summary>
/// Every envelope open and seal that store maintenance performs, in one place: the envelope format can change (e.g. to
/// bind more of the record into the associated data) without touching the maintenance logic.
/// </summary>
/// <remarks>
/// Records are bound to their storage key (see docs/envelope-format.md), which is all maintenance ever sees, so no session
/// ID is needed to authenticate or re-seal one. Thread-safe, like the protector it wraps.
/// </remarks>
internal sealed class RecordCodec : IDisposable
{
    private readonly SessionKeyRing _ring;
    private readonly SessionProtector _protector;

    public RecordCodec(SessionKeyRing ring)
    {
        _ring = ring;
        _protector = new SessionProtector(ring);
    }

    /// <summary>The key id that <see cref="Seal"/> encrypts under.</summary>
    public uint PrimaryKeyId => _ring.PrimaryKeyId;

    /// <summary>The storage key of a session ID (what the connector names its record by).</summary>
    public string DeriveStorageKey(string sessionId) => _protector.DeriveStorageKey(sessionId);

    /// <summary>Reads the key id from a well-formed envelope header; false for anything that is not an envelope.</summary>
    public static bool TryReadKeyId(in StoredRecord record, out uint keyId)
    {
        keyId = 0;
        ReadOnlySpan<byte> envelope = record.Value;
        if (record.Version == 0
            || envelope.Length < EnvelopeFormat.Overhead
            || envelope[EnvelopeFormat.MagicOffset] != EnvelopeFormat.Magic
            || envelope[EnvelopeFormat.VersionOffset] != EnvelopeFormat.Version)
        {
            return false;
        }

        keyId = BinaryPrimitives.ReadUInt32BigEndian(envelope[EnvelopeFormat.KeyIdOffset..]);
        return true;
    }

    /// <summary>
    /// Authenticates and decrypts <paramref name="record"/> stored under <paramref name="storageKey"/>; on success
    /// <paramref name="payload"/> is the plaintext (payload header included) and its header has been validated.
    /// </summary>
    public RecordFailure TryOpen(string storageKey, in StoredRecord record, out byte[] payload, out PayloadHeader header)
    {
        payload = Array.Empty<byte>();
        header = default;
        if (!TryReadKeyId(record, out uint keyId)) return RecordFailure.Damaged;
        if (!_protector.TryUnprotect(storageKey, record.Version, record.Value, out byte[]? plaintext, out _))
        {
            if (!_ring.KnowsKeyId(keyId)) return RecordFailure.UnknownKey;
            return _ring.GetKey(keyId) is null ? RecordFailure.RevokedKey : RecordFailure.Authentication;
        }

        if (!SessionPayload.TryReadHeader(plaintext, out SessionFormat format, out DateTimeOffset? expiresAt, out DateTimeOffset? absolute))
        {
            return RecordFailure.BadPayload;
        }

        payload = plaintext;
        header = new PayloadHeader(format, expiresAt, absolute);
        return RecordFailure.None;
    }

    /// <summary>The data part of an opened payload (after its header).</summary>
    public static ReadOnlyMemory<byte> DataOf(byte[] payload) => payload.AsMemory(SessionPayload.HeaderSize);

    /// <summary>Seals an opened payload again, unchanged, under the primary key, for the record version it will be written with.</summary>
    /// <param name="storageKey">The record's storage key.</param>
    /// <param name="payload">The plaintext <see cref="TryOpen"/> returned.</param>
    /// <param name="newVersion">The version the record is written with: the envelope authenticates it.</param>
    public byte[] Seal(string storageKey, ReadOnlySpan<byte> payload, long newVersion) => _protector.Protect(storageKey, newVersion, payload);

    public void Dispose() => _protector.Dispose();

    /// <summary>The authenticated payload header: data format and expiries.</summary>
    internal readonly record struct PayloadHeader(SessionFormat Format, DateTimeOffset? ExpiresAt, DateTimeOffset? AbsoluteExpiresAt)
    {
        public bool IsExpired(DateTimeOffset now) => (ExpiresAt is { } e && e <= now) || (AbsoluteExpiresAt is { } a && a <= now);
    }
}
