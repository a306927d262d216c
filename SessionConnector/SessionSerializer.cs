using System;
using System.Buffers;
using SessionConnector.Serialization;

namespace SessionConnector;

/// <summary>
/// Serializes <c>[SessionData]</c> values (and <see cref="SessionBag"/>) to and from the exact MessagePack and JSON
/// bytes the connector stores inside its encrypted records, for tests, tools and interop with other languages. The
/// format is specified in docs/session-data-format.md. No reflection: everything is bound at compile time.
/// </summary>
public static class SessionSerializer
{
    /// <summary>Serializes <paramref name="value"/> as MessagePack.</summary>
    public static byte[] ToMessagePack<T>(T value) where T : ISessionData<T> => ToArray(value, SessionFormat.MessagePack);

    /// <summary>Serializes <paramref name="value"/> as MessagePack into <paramref name="output"/>.</summary>
    public static void ToMessagePack<T>(IBufferWriter<byte> output, T value) where T : ISessionData<T>
        => SessionDataFormat.Write(output, value, SessionFormat.MessagePack, skipValidation: false);

    /// <summary>Reads one MessagePack value, written by this library or by another (see the format document).</summary>
    /// <exception cref="SessionFormatException">The bytes are not exactly one valid <typeparamref name="T"/>.</exception>
    public static T FromMessagePack<T>(ReadOnlyMemory<byte> messagePack) where T : ISessionData<T>
        => SessionDataFormat.Read<T>(messagePack, SessionFormat.MessagePack, legacyGuidOrder: false);

    /// <summary>Serializes <paramref name="value"/> as UTF-8 JSON.</summary>
    public static byte[] ToJson<T>(T value) where T : ISessionData<T> => ToArray(value, SessionFormat.Json);

    /// <summary>Serializes <paramref name="value"/> as UTF-8 JSON into <paramref name="output"/>.</summary>
    public static void ToJson<T>(IBufferWriter<byte> output, T value) where T : ISessionData<T>
        => SessionDataFormat.Write(output, value, SessionFormat.Json, skipValidation: false);

    /// <summary>Reads one UTF-8 JSON value, written by this library or by another (see the format document).</summary>
    /// <exception cref="SessionFormatException">The JSON is not exactly one valid <typeparamref name="T"/>.</exception>
    public static T FromJson<T>(ReadOnlyMemory<byte> utf8Json) where T : ISessionData<T>
        => SessionDataFormat.Read<T>(utf8Json, SessionFormat.Json, legacyGuidOrder: false);

    private static byte[] ToArray<T>(T value, SessionFormat format) where T : ISessionData<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        SessionDataFormat.Write(buffer, value, format, skipValidation: false);
        return buffer.WrittenSpan.ToArray();
    }
}
