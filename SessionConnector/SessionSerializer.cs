using System;
using System.Buffers;
using System.Text.Json;
using MessagePack;
using SessionConnector.Generated;
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
        => Write(output, value, SessionFormat.MessagePack, skipValidation: false);

    /// <summary>Reads one MessagePack value, written by this library or by another (see the format document).</summary>
    /// <exception cref="SessionFormatException">The bytes are not exactly one valid <typeparamref name="T"/>.</exception>
    public static T FromMessagePack<T>(ReadOnlyMemory<byte> messagePack) where T : ISessionData<T>
        => Read<T>(messagePack, SessionFormat.MessagePack, legacyGuidOrder: false);

    /// <summary>Serializes <paramref name="value"/> as UTF-8 JSON.</summary>
    public static byte[] ToJson<T>(T value) where T : ISessionData<T> => ToArray(value, SessionFormat.Json);

    /// <summary>Serializes <paramref name="value"/> as UTF-8 JSON into <paramref name="output"/>.</summary>
    public static void ToJson<T>(IBufferWriter<byte> output, T value) where T : ISessionData<T>
        => Write(output, value, SessionFormat.Json, skipValidation: false);

    /// <summary>Reads one UTF-8 JSON value, written by this library or by another (see the format document).</summary>
    /// <exception cref="SessionFormatException">The JSON is not exactly one valid <typeparamref name="T"/>.</exception>
    public static T FromJson<T>(ReadOnlyMemory<byte> utf8Json) where T : ISessionData<T>
        => Read<T>(utf8Json, SessionFormat.Json, legacyGuidOrder: false);

    private static byte[] ToArray<T>(T value, SessionFormat format) where T : ISessionData<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, value, format, skipValidation: false);
        return buffer.WrittenSpan.ToArray();
    }

    internal static void Write<T>(IBufferWriter<byte> output, T value, SessionFormat format, bool skipValidation) where T : ISessionData<T>
    {
        if (format == SessionFormat.Json)
        {
            if (!JsonFormatFeature.IsSupported) throw new InvalidOperationException("The JSON session format is disabled by the SessionConnector.JsonFormat.IsSupported switch.");
            using var json = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = skipValidation });
            T.WriteJson(json, value);
        }
        else
        {
            var writer = new MessagePackWriter(output);
            T.WriteMessagePack(ref writer, value);
            writer.Flush();
        }
    }

    /// <summary>The one decode path: the connector's records and the public entry points.</summary>
    /// <param name="data">Exactly one serialized value.</param>
    /// <param name="format">How it is serialized.</param>
    /// <param name="legacyGuidOrder">Guid bins are in .NET's byte order (records written before format version 3).</param>
    internal static T Read<T>(ReadOnlyMemory<byte> data, SessionFormat format, bool legacyGuidOrder) where T : ISessionData<T>
    {
        try
        {
            if (format == SessionFormat.Json)
            {
                if (!JsonFormatFeature.IsSupported) throw new SessionFormatException("The record is JSON and the JSON session format is disabled in this app.");
                var reader = new Utf8JsonReader(data.Span, new JsonReaderOptions { MaxDepth = SessionDataRuntime.MaxDepth });
                if (!reader.Read()) throw new SessionFormatException("The stored session is empty.");
                T value = T.ReadJson(ref reader);
                if (reader.Read()) throw new SessionFormatException("The JSON continues after the value.");
                return value;
            }

            SessionDataRuntime.LegacyGuidOrder = legacyGuidOrder;
            var mp = new MessagePackReader(data);
            T result = T.ReadMessagePack(ref mp);
            if (!mp.End) throw new SessionFormatException("The MessagePack continues after the value.");
            return result;
        }
        catch (SessionFormatException)
        {
            throw;
        }
        catch (Exception e) when (SessionDataRuntime.IsDecodeError(e))
        {
            // Belt and braces: readers should throw SessionFormatException themselves.
            throw new SessionFormatException($"The stored session does not decode as {typeof(T).Name}.", e);
        }
        finally
        {
            SessionDataRuntime.LegacyGuidOrder = false;
        }
    }
}
