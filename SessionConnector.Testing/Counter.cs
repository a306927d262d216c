using System.Collections.Generic;
using System.Text.Json;
using MessagePack;
using SessionConnector;

namespace SessionConnector.Testing;

/// <summary>
/// A hand-written ISessionData type, so connector tests do not depend on the source generator
/// (the generator has its own tests, including through the connector).
/// </summary>
public sealed class Counter : ISessionData<Counter>
{
    public long Value { get; set; }

    public List<string> Log { get; set; } = new();

    static void ISessionData<Counter>.WriteMessagePack(ref MessagePackWriter writer, Counter value)
    {
        writer.WriteMapHeader(2);
        writer.Write("Value");
        writer.Write(value.Value);
        writer.Write("Log");
        writer.WriteArrayHeader(value.Log.Count);
        foreach (string s in value.Log) writer.Write(s);
    }

    static Counter ISessionData<Counter>.ReadMessagePack(ref MessagePackReader reader)
    {
        try
        {
            var c = new Counter();
            int n = reader.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                switch (reader.ReadString())
                {
                    case "Value": c.Value = reader.ReadInt64(); break;
                    case "Log":
                        int m = reader.ReadArrayHeader();
                        for (int j = 0; j < m; j++) c.Log.Add(reader.ReadString()!);
                        break;
                    default: reader.Skip(); break;
                }
            }

            return c;
        }
        catch (System.Exception e) when (e is not SessionFormatException)
        {
            throw new SessionFormatException("bad counter", e);
        }
    }

    static void ISessionData<Counter>.WriteJson(Utf8JsonWriter writer, Counter value)
    {
        writer.WriteStartObject();
        writer.WriteNumber("Value", value.Value);
        writer.WriteStartArray("Log");
        foreach (string s in value.Log) writer.WriteStringValue(s);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    static Counter ISessionData<Counter>.ReadJson(ref Utf8JsonReader reader)
    {
        try
        {
            var c = new Counter();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                if (name == "Value") c.Value = reader.GetInt64();
                else if (name == "Log")
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.String) c.Log.Add(reader.GetString()!);
                }
                else reader.Skip();
            }

            return c;
        }
        catch (System.Exception e) when (e is not SessionFormatException)
        {
            throw new SessionFormatException("bad counter", e);
        }
    }

    static Counter ISessionData<Counter>.DeepClone(Counter value) => new() { Value = value.Value, Log = new List<string>(value.Log) };

    static Counter ISessionData<Counter>.CreateDefault() => new();
}
