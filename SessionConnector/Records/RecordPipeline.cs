using System;
using System.Buffers;
using System.Buffers.Binary;
using SessionConnector.Protection;
using SessionConnector.Serialization;
using SessionConnector.Storage;

namespace SessionConnector.Records;

/// <summary>
/// The one record pipeline: how a session becomes a sealed envelope and back, and what a record that does not open is.
/// The connector, store maintenance (and through it sessionctl) and anything later (sealed cookies) call it; none of
/// them opens, seals or judges a record on its own.
/// </summary>
/// <remarks>
/// Contract: bytes in, bytes out, no storage and no session ID. An envelope authenticates the key it is bound to (the
/// storage key, see docs/envelope-format.md; for a record without a store, whatever names it) and its version, which
/// comes from <see cref="RecordVersions"/>, the one clock. Opening never throws for bad bytes: it returns an
/// <see cref="OpenResult"/>, and <see cref="Evicts"/> / <see cref="KeepsForOtherReaders"/> say what a reader does with a
/// record that did not open. Thread-safe, like the protector it wraps; it owns nothing.
/// </remarks>
internal sealed class RecordPipeline
{
    private readonly SessionProtector _protector;
    private readonly SessionKeyRing _ring;

    public RecordPipeline(SessionProtector protector)
    {
        _protector = protector;
        _ring = protector.Ring;
    }

    /// <summary>The key id <see cref="Seal{T}"/> encrypts under.</summary>
    public uint PrimaryKeyId => _ring.PrimaryKeyId;

    /// <summary>
    /// A record that did not open and must go (evicted at the version read, so a newer write survives): it is not
    /// authentic, or it expired. One under an unknown key or of another type stays (<see cref="KeepsForOtherReaders"/>).
    /// </summary>
    public static bool Evicts(OpenResult result) =>
        result is OpenResult.Expired or OpenResult.BadVersion or OpenResult.Damaged or OpenResult.RevokedKey or OpenResult.Authentication;

    /// <summary>
    /// Authentic (or possibly so) but not readable here: a newer key other nodes hold, or data another reader (another
    /// type, JSON enabled) can decode. Absent for this caller, left in place; any copy this caller caches may stay too.
    /// </summary>
    public static bool KeepsForOtherReaders(OpenResult result) => result is OpenResult.BadPayload or OpenResult.Undecodable;

    /// <summary>Reads the key id from a well-formed envelope header; false for anything that is not an envelope.</summary>
    public static bool TryReadKeyId(long version, ReadOnlySpan<byte> envelope, out uint keyId)
    {
        keyId = 0;
        if (version == 0
            || envelope.Length < EnvelopeFormat.Overhead
            || envelope[EnvelopeFormat.MagicOffset] != EnvelopeFormat.Magic
            || envelope[EnvelopeFormat.VersionOffset] != EnvelopeFormat.Version)
        {
            return false;
        }

        keyId = BinaryPrimitives.ReadUInt32BigEndian(envelope[EnvelopeFormat.KeyIdOffset..]);
        return true;
    }

    /// <inheritdoc cref="TryReadKeyId(long, ReadOnlySpan{byte}, out uint)"/>
    public static bool TryReadKeyId(in StoredRecord record, out uint keyId) => TryReadKeyId(record.Version, record.Value, out keyId);

    /// <summary>
    /// Authenticates and decrypts <paramref name="envelope"/>, sealed for <paramref name="key"/> at
    /// <paramref name="version"/>, and validates its payload header. On <see cref="OpenResult.Ok"/> and
    /// <see cref="OpenResult.Expired"/>, <paramref name="payload"/> is the plaintext (header included).
    /// </summary>
    public OpenResult TryOpen(string key, long version, ReadOnlySpan<byte> envelope, DateTimeOffset now, out byte[] payload, out PayloadHeader header)
    {
        payload = Array.Empty<byte>();
        byte[] plaintext = new byte[Math.Max(0, SessionProtector.PlaintextLength(envelope))];
        OpenResult result = TryOpen(key, version, envelope, now, plaintext, out header);
        if (result is OpenResult.Ok or OpenResult.Expired) payload = plaintext;
        return result;
    }

    /// <summary>
    /// <see cref="TryOpen(string, long, ReadOnlySpan{byte}, DateTimeOffset, out byte[], out PayloadHeader)"/> into
    /// <paramref name="plaintext"/>, exactly <see cref="SessionProtector.PlaintextLength"/> bytes long: the one open step
    /// both the array and the pooled-buffer readers take.
    /// </summary>
    private OpenResult TryOpen(string key, long version, ReadOnlySpan<byte> envelope, DateTimeOffset now, Span<byte> plaintext, out PayloadHeader header)
    {
        header = default;
        if (!RecordVersions.IsPlausible(version)) return OpenResult.BadVersion;
        if (SessionProtector.PlaintextLength(envelope) != plaintext.Length || !_protector.TryUnprotect(key, version, envelope, plaintext, out _))
        {
            if (!TryReadKeyId(version, envelope, out uint keyId)) return OpenResult.Damaged;
            if (!_ring.KnowsKeyId(keyId)) return OpenResult.UnknownKey;
            return _ring.GetKey(keyId) is null ? OpenResult.RevokedKey : OpenResult.Authentication;
        }

        // From here on the record is authentic: this node wrote it or holds its key, so failing to read it says something
        // about the reader, not the record.
        if (!SessionPayload.TryReadHeader(plaintext, out SessionFormat format, out DateTimeOffset? expiresAt, out DateTimeOffset? absolute, out Serialization.PrincipalStamp? principal))
        {
            return OpenResult.BadPayload;
        }

        header = new PayloadHeader(format, expiresAt, absolute, principal);
        return header.IsExpired(now) ? OpenResult.Expired : OpenResult.Ok;
    }

    /// <summary><see cref="TryOpen(string, long, ReadOnlySpan{byte}, DateTimeOffset, out byte[], out PayloadHeader)"/>, then decodes a live record as <typeparamref name="T"/>.</summary>
    /// <remarks>
    /// The plaintext never leaves this method (the decoders copy what they keep: strings, byte arrays), so it goes to a
    /// pooled buffer rather than a new array per read, and is cleared before the pool gets it back: it is session data.
    /// </remarks>
    public OpenResult TryOpen<T>(string key, long version, ReadOnlySpan<byte> envelope, DateTimeOffset now, out Opened<T> opened) where T : ISessionData<T>
    {
        opened = default;
        int length = Math.Max(0, SessionProtector.PlaintextLength(envelope));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            OpenResult result = TryOpen(key, version, envelope, now, buffer.AsSpan(0, length), out PayloadHeader header);
            if (result != OpenResult.Ok) return result;
            T value;
            try
            {
                value = SessionPayload.Decode<T>(buffer.AsMemory(0, length), header.Format);
            }
            catch (SessionFormatException)
            {
                return OpenResult.Undecodable;
            }

            opened = new Opened<T>(value, header);
            return OpenResult.Ok;
        }
        finally
        {
            buffer.AsSpan(0, length).Clear();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The data part of an opened payload (after its header).</summary>
    public static ReadOnlyMemory<byte> DataOf(byte[] payload) => payload.AsMemory(SessionPayload.DataOffset(payload));

    /// <summary>Encodes and encrypts <paramref name="value"/> for <paramref name="key"/> at <paramref name="version"/>, which the envelope authenticates.</summary>
    /// <remarks>A <paramref name="principal"/> is sealed into the payload header (see docs/principals.md); null writes the unbound format.</remarks>
    public byte[] Seal<T>(string key, T value, SessionFormat format, long version, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, Serialization.PrincipalStamp? principal = null) where T : ISessionData<T>
    {
        ReadOnlySpan<byte> payload = SessionPayload.Encode(value, format, expiresAt, absoluteExpiresAt, principal);
        return _protector.Protect(key, version, payload);
    }

    /// <summary>Seals an opened payload again, unchanged, under the primary key, for the version it will be written with.</summary>
    public byte[] Reseal(string key, ReadOnlySpan<byte> payload, long version) => _protector.Protect(key, version, payload);

    /// <summary>
    /// The record-version slot of every sealed cookie's associated data (docs/sealed.md). Stored records are sealed at
    /// positive versions only (<see cref="RecordVersions.IsPlausible"/>), so a cookie envelope and a stored record can
    /// never stand in for each other, even for the same key text.
    /// </summary>
    public const long SealedCookieVersion = long.MinValue + 0x5345414C; // "SEAL"

    /// <summary>Seals a sealed cookie's plaintext for <paramref name="context"/> (its name, purpose and clear header).</summary>
    public byte[] SealCookie(string context, ReadOnlySpan<byte> plaintext) => _protector.Protect(context, SealedCookieVersion, plaintext);

    /// <summary>
    /// Opens a sealed cookie's envelope. Its plaintext is not a stored-record payload (a spilled cookie holds a record
    /// ID), so only the envelope is judged here: <see cref="OpenResult.Ok"/>, or why it did not authenticate.
    /// </summary>
    public OpenResult TryOpenCookie(string context, ReadOnlySpan<byte> envelope, out byte[] plaintext, out bool usedOldKey)
    {
        if (_protector.TryUnprotect(context, SealedCookieVersion, envelope, out byte[]? opened, out usedOldKey))
        {
            plaintext = opened;
            return OpenResult.Ok;
        }

        plaintext = Array.Empty<byte>();
        if (!TryReadKeyId(SealedCookieVersion, envelope, out uint keyId)) return OpenResult.Damaged;
        if (!_ring.KnowsKeyId(keyId)) return OpenResult.UnknownKey;
        return _ring.GetKey(keyId) is null ? OpenResult.RevokedKey : OpenResult.Authentication;
    }
}
