using System;
using System.Buffers;
using System.Buffers.Binary;

namespace SessionConnector.Serialization;

/// <summary>
/// The plaintext that gets encrypted: a 17-byte header, then the serialized data.
/// <code>
/// [0]      format and version: 2 = JSON; 3 = MessagePack; 1 = MessagePack with Guid bins in .NET byte order
///          (written before version 3, still read)
/// [1..9)   expires at, Unix ms, big-endian (0 = never)      — the expiry enforced now (may slide)
/// [9..17)  absolute expiry, Unix ms, big-endian (0 = never) — the cap a sliding expiry never passes
/// [17..)   data
/// </code>
/// A session bound to a principal sets <see cref="PrincipalFlag"/> in byte 0 and carries 40 more header bytes before
/// its data (see docs/principals.md):
/// <code>
/// [17..49) the principal's keyed hash (HMAC-SHA256 under the ring's storage-key key), never the principal id itself
/// [49..57) the principal's revocation generation the session was sealed at, big-endian
/// [57..)   data
/// </code>
/// A record without the flag is byte for byte what it was before principals existed; a reader that predates the flag
/// sees an unknown format byte and leaves the record alone (it never reads a bound session as unbound).
/// Expiry lives inside the authenticated plaintext, so whoever can write the store cannot extend a session, and so do the
/// principal and its generation, so nobody can move a session to another principal or back to an older generation.
/// </summary>
internal static class SessionPayload
{
    public const int HeaderSize = 17;

    /// <summary>Set in byte 0 when the principal extension follows the header.</summary>
    public const byte PrincipalFlag = 0x80;

    /// <summary>The principal hash's length in the extension.</summary>
    public const int PrincipalHashSize = 32;

    /// <summary>The header of a bound session: the 17 bytes, the principal hash and the generation.</summary>
    public const int BoundHeaderSize = HeaderSize + PrincipalHashSize + sizeof(long);

    /// <summary>MessagePack whose Guid bins are in .NET's mixed-endian order: records written before RFC 4122 order.</summary>
    private const byte LegacyMessagePack = 1;

    /// <summary>MessagePack whose Guid bins are in RFC 4122 (big-endian) order.</summary>
    private const byte MessagePackV3 = 3;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>Serializes into a per-thread buffer. The span is valid until the next call on this thread; use it before any await.</summary>
    public static ReadOnlySpan<byte> Encode<T>(T value, SessionFormat format, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt)
        where T : ISessionData<T> =>
        Encode(value, format, expiresAt, absoluteExpiresAt, principal: null);

    /// <inheritdoc cref="Encode{T}(T, SessionFormat, DateTimeOffset?, DateTimeOffset?)"/>
    public static ReadOnlySpan<byte> Encode<T>(T value, SessionFormat format, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, PrincipalStamp? principal)
        where T : ISessionData<T>
    {
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        int headerSize = principal is null ? HeaderSize : BoundHeaderSize;
        Span<byte> header = buffer.GetSpan(headerSize);
        WriteHeader(header, format, expiresAt, absoluteExpiresAt, principal);
        buffer.Advance(headerSize);

        SessionDataFormat.Write(buffer, value, format, skipValidation: true);

        // Do not let one huge session pin a huge buffer to this thread forever.
        ReadOnlySpan<byte> written = buffer.WrittenSpan;
        if (buffer.Capacity > 1 << 20) t_buffer = null;
        return written;
    }

    /// <summary>Writes a header (<see cref="BoundHeaderSize"/> bytes with a principal, else <see cref="HeaderSize"/>).</summary>
    public static void WriteHeader(Span<byte> header, SessionFormat format, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, PrincipalStamp? principal)
    {
        header[0] = format == SessionFormat.Json ? (byte)SessionFormat.Json : MessagePackV3;
        BinaryPrimitives.WriteInt64BigEndian(header[1..], ToMs(expiresAt));
        BinaryPrimitives.WriteInt64BigEndian(header[9..], ToMs(absoluteExpiresAt));
        if (principal is null) return;
        header[0] |= PrincipalFlag;
        principal.Hash.CopyTo(header[HeaderSize..]);
        BinaryPrimitives.WriteInt64BigEndian(header[(HeaderSize + PrincipalHashSize)..], principal.Generation);
    }

    /// <summary>Where the data starts: after the bound header when the principal flag is set (the caller read the header).</summary>
    public static int DataOffset(ReadOnlySpan<byte> payload) => (payload[0] & PrincipalFlag) != 0 ? BoundHeaderSize : HeaderSize;

    public static bool TryReadHeader(ReadOnlySpan<byte> payload, out SessionFormat format, out DateTimeOffset? expiresAt, out DateTimeOffset? absoluteExpiresAt) =>
        TryReadHeader(payload, out format, out expiresAt, out absoluteExpiresAt, out _);

    /// <summary>Reads the header and, for a bound session, its principal stamp (null for an unbound one).</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> payload, out SessionFormat format, out DateTimeOffset? expiresAt, out DateTimeOffset? absoluteExpiresAt, out PrincipalStamp? principal)
    {
        format = default;
        expiresAt = absoluteExpiresAt = null;
        principal = null;
        if (payload.Length < HeaderSize) return false;
        byte first = payload[0];
        if ((first & PrincipalFlag) != 0)
        {
            if (payload.Length < BoundHeaderSize) return false;
            long generation = BinaryPrimitives.ReadInt64BigEndian(payload[(HeaderSize + PrincipalHashSize)..]);
            if (generation <= 0) return false;
            principal = new PrincipalStamp(payload.Slice(HeaderSize, PrincipalHashSize).ToArray(), generation);
            first &= unchecked((byte)~PrincipalFlag);
        }

        switch (first)
        {
            case LegacyMessagePack or MessagePackV3: format = SessionFormat.MessagePack; break;
            case (byte)SessionFormat.Json: format = SessionFormat.Json; break;
            default: return false;
        }

        return TryFromMs(BinaryPrimitives.ReadInt64BigEndian(payload[1..]), out expiresAt)
            && TryFromMs(BinaryPrimitives.ReadInt64BigEndian(payload[9..]), out absoluteExpiresAt);
    }

    /// <exception cref="SessionFormatException">The data does not decode as <typeparamref name="T"/>.</exception>
    public static T Decode<T>(ReadOnlyMemory<byte> payload, SessionFormat format) where T : ISessionData<T>
        => SessionDataFormat.Read<T>(payload[DataOffset(payload.Span)..], format, legacyGuidOrder: payload.Span[0] == LegacyMessagePack);

    private static long ToMs(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds() ?? 0;

    private static bool TryFromMs(long ms, out DateTimeOffset? at)
    {
        at = null;
        if (ms == 0) return true;
        if (ms < -62135596800000L || ms > 253402300799999L) return false;
        at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }
}
