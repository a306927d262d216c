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
/// Expiry lives inside the authenticated plaintext, so whoever can write the store cannot extend a session.
/// </summary>
internal static class SessionPayload
{
    public const int HeaderSize = 17;

    /// <summary>MessagePack whose Guid bins are in .NET's mixed-endian order: records written before RFC 4122 order.</summary>
    private const byte LegacyMessagePack = 1;

    /// <summary>MessagePack whose Guid bins are in RFC 4122 (big-endian) order.</summary>
    private const byte MessagePackV3 = 3;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>Serializes into a per-thread buffer. The span is valid until the next call on this thread; use it before any await.</summary>
    public static ReadOnlySpan<byte> Encode<T>(T value, SessionFormat format, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt)
        where T : ISessionData<T>
    {
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        Span<byte> header = buffer.GetSpan(HeaderSize);
        header[0] = format == SessionFormat.Json ? (byte)SessionFormat.Json : MessagePackV3;
        BinaryPrimitives.WriteInt64BigEndian(header[1..], ToMs(expiresAt));
        BinaryPrimitives.WriteInt64BigEndian(header[9..], ToMs(absoluteExpiresAt));
        buffer.Advance(HeaderSize);

        SessionSerializer.Write(buffer, value, format, skipValidation: true);

        // Do not let one huge session pin a huge buffer to this thread forever.
        ReadOnlySpan<byte> written = buffer.WrittenSpan;
        if (buffer.Capacity > 1 << 20) t_buffer = null;
        return written;
    }

    public static bool TryReadHeader(ReadOnlySpan<byte> payload, out SessionFormat format, out DateTimeOffset? expiresAt, out DateTimeOffset? absoluteExpiresAt)
    {
        format = default;
        expiresAt = absoluteExpiresAt = null;
        if (payload.Length < HeaderSize) return false;
        switch (payload[0])
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
        => SessionSerializer.Read<T>(payload[HeaderSize..], format, legacyGuidOrder: payload.Span[0] == LegacyMessagePack);

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
