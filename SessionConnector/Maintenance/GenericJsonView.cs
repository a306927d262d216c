using System;
using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MessagePack;
using SessionConnector.Generated;
using SessionConnector.Serialization;

namespace SessionConnector.Maintenance;

/// <summary>
/// Turns session data into indented JSON without the application's types: any MessagePack value (the generated
/// serializers write standard maps keyed by member names) or a JSON document. Nesting is bounded, as in the readers.
/// </summary>
internal static class GenericJsonView
{
    private const int MaxDepth = SessionDataRuntime.MaxDepth;

    /// <summary>The JSON view, or null when the data is not valid MessagePack / JSON.</summary>
    public static string? TryConvert(SessionFormat format, ReadOnlyMemory<byte> data)
    {
        var output = new ArrayBufferWriter<byte>();
        try
        {
            using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, MaxDepth = MaxDepth + 1 }))
            {
                if (format == SessionFormat.Json)
                {
                    using JsonDocument document = JsonDocument.Parse(data, new JsonDocumentOptions { MaxDepth = MaxDepth });
                    document.RootElement.WriteTo(json);
                }
                else
                {
                    var reader = new MessagePackReader(data);
                    WriteValue(ref reader, json, 0);
                    if (!reader.End) return null; // trailing bytes: not one MessagePack value
                }
            }
        }
        catch (Exception e) when (SessionDataRuntime.IsDecodeError(e))
        {
            return null;
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static void WriteValue(ref MessagePackReader reader, Utf8JsonWriter json, int depth)
    {
        if (depth > MaxDepth) throw new InvalidOperationException("The session data nests too deeply.");
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64) json.WriteNumberValue(reader.ReadUInt64());
                else json.WriteNumberValue(reader.ReadInt64());
                break;
            case MessagePackType.Float:
                double d = reader.ReadDouble();
                // JSON has no NaN or infinities: keep them readable as text.
                if (double.IsFinite(d)) json.WriteNumberValue(d);
                else json.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                break;
            case MessagePackType.String:
                json.WriteStringValue(reader.ReadString());
                break;
            case MessagePackType.Binary:
                WriteBase64(json, reader.ReadBytes() ?? default);
                break;
            case MessagePackType.Array:
                int count = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (int i = 0; i < count; i++) WriteValue(ref reader, json, depth + 1);
                json.WriteEndArray();
                break;
            case MessagePackType.Map:
                int pairs = reader.ReadMapHeader();
                json.WriteStartObject();
                for (int i = 0; i < pairs; i++)
                {
                    json.WritePropertyName(ReadKey(ref reader, i));
                    WriteValue(ref reader, json, depth + 1);
                }

                json.WriteEndObject();
                break;
            case MessagePackType.Extension:
                ExtensionResult ext = reader.ReadExtensionFormat();
                json.WriteStartObject();
                json.WriteNumber("$ext", ext.TypeCode);
                json.WritePropertyName("data");
                WriteBase64(json, ext.Data);
                json.WriteEndObject();
                break;
            default:
                throw new InvalidOperationException("Not a MessagePack value.");
        }
    }

    /// <summary>A map key as a JSON property name: strings as they are, scalars as their text, anything else by position.</summary>
    private static string ReadKey(ref MessagePackReader reader, int index)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.String:
                return reader.ReadString() ?? "";
            case MessagePackType.Integer:
                return reader.NextCode == MessagePackCode.UInt64
                    ? reader.ReadUInt64().ToString(CultureInfo.InvariantCulture)
                    : reader.ReadInt64().ToString(CultureInfo.InvariantCulture);
            case MessagePackType.Boolean:
                return reader.ReadBoolean() ? "true" : "false";
            default:
                reader.Skip();
                return "$key" + index.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static void WriteBase64(Utf8JsonWriter json, ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment) json.WriteBase64StringValue(bytes.FirstSpan);
        else json.WriteBase64StringValue(bytes.ToArray());
    }
}
