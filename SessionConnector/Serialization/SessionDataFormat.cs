using System;
using System.Buffers;
using System.Text.Json;
using MessagePack;
using SessionConnector.Generated;

namespace SessionConnector.Serialization;

/// <summary>
/// Writes and reads one <c>[SessionData]</c> value in a <see cref="SessionFormat"/>: the core behind the public
/// <see cref="SessionSerializer"/> and the payload inside every record (<see cref="SessionPayload"/>). It sits here, below
/// the root namespace, so that the payload code does not call up into the public facade (see NamespaceLayeringTests).
/// </summary>
internal static class SessionDataFormat
{
    public static void Write<T>(IBufferWriter<byte> output, T value, SessionFormat format, bool skipValidation) where T : ISessionData<T>
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
    public static T Read<T>(ReadOnlyMemory<byte> data, SessionFormat format, bool legacyGuidOrder) where T : ISessionData<T>
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
