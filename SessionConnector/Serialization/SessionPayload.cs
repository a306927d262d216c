using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using MessagePack;

namespace SessionConnector.Serialization;

/// <summary>
/// The plaintext that gets encrypted: a 17-byte header, then the serialized data.
/// <code>
/// [0]      format: 1 = MessagePack, 2 = JSON
/// [1..9)   expires at, Unix ms, big-endian (0 = never)      — the expiry enforced now (may slide)
/// [9..17)  absolute expiry, Unix ms, big-endian (0 = never) — the cap a sliding expiry never passes
/// [17..)   data
/// </code>
/// Expiry lives inside the authenticated plaintext, so whoever can write the store cannot extend a session.
/// </summary>
internal static class SessionPayload
{
    public const int HeaderSize = 17;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>Serializes into a per-thread buffer. The span is valid until the next call on this thread; use it before any await.</summary>
    public static ReadOnlySpan<byte> Encode<T>(T value, SessionFormat format, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt)
        where T : ISessionData<T>
    {
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        Span<byte> header = buffer.GetSpan(HeaderSize);
        header[0] = (byte)format;
        BinaryPrimitives.WriteInt64BigEndian(header[1..], ToMs(expiresAt));
        BinaryPrimitives.WriteInt64BigEndian(header[9..], ToMs(absoluteExpiresAt));
        buffer.Advance(HeaderSize);

        if (format == SessionFormat.Json)
        {
            if (!JsonFormatFeature.IsSupported) throw new InvalidOperationException("The JSON session format is disabled by the SessionConnector.JsonFormat.IsSupported switch.");
            using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
            T.WriteJson(json, value);
        }
        else
        {
            var writer = new MessagePackWriter(buffer);
            T.WriteMessagePack(ref writer, value);
            writer.Flush();
        }

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
        format = (SessionFormat)payload[0];
        if (format is not (SessionFormat.MessagePack or SessionFormat.Json)) return false;
        return TryFromMs(BinaryPrimitives.ReadInt64BigEndian(payload[1..]), out expiresAt)
            && TryFromMs(BinaryPrimitives.ReadInt64BigEndian(payload[9..]), out absoluteExpiresAt);
    }

    /// <exception cref="SessionFormatException">The data does not decode as <typeparamref name="T"/>.</exception>
    public static T Decode<T>(ReadOnlyMemory<byte> payload, SessionFormat format) where T : ISessionData<T>
    {
        ReadOnlyMemory<byte> data = payload[HeaderSize..];
        try
        {
            if (format == SessionFormat.Json)
            {
                if (!JsonFormatFeature.IsSupported) throw new SessionFormatException("The record is JSON and the JSON session format is disabled in this app.");
                var reader = new Utf8JsonReader(data.Span, new JsonReaderOptions { MaxDepth = 64 });
                if (!reader.Read()) throw new SessionFormatException("The stored session is empty.");
                return T.ReadJson(ref reader);
            }

            var mp = new MessagePackReader(data);
            return T.ReadMessagePack(ref mp);
        }
        catch (SessionFormatException)
        {
            throw;
        }
        catch (Exception e) when (e is JsonException or MessagePackSerializationException or System.IO.EndOfStreamException or OverflowException or InvalidOperationException or FormatException or ArgumentException)
        {
            // Belt and braces: readers should throw SessionFormatException themselves.
            throw new SessionFormatException($"The stored session does not decode as {typeof(T).Name}.", e);
        }
    }

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
