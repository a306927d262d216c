using System;
using System.Buffers;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using MessagePack;
using SessionConnector.Generated;
using SessionConnector.Internal;
using SessionConnector.Serialization;

namespace SessionConnector;

/// <summary>
/// Untyped session data: string keys mapped to primitive or nested values, for Duck-style
/// <c>update_session(id, {"k": v})</c> merges. Values are null, <see cref="bool"/>, <see cref="long"/>
/// (other integer types are widened), <see cref="double"/> (<see cref="float"/> is widened),
/// <see cref="string"/>, <c>byte[]</c>, a nested <see cref="SessionBag"/>, or a <see cref="List{T}"/> of
/// such values. Anything else is rejected when set, so every bag can be stored.
/// </summary>
/// <remarks>In JSON format byte arrays are stored as base64 strings and read back as strings.</remarks>
public sealed class SessionBag : ISessionData<SessionBag>, IEnumerable<KeyValuePair<string, object?>>
{
    // The same limit every generated reader enforces, from its one definition.
    private const int MaxDepth = SessionDataRuntime.MaxDepth;
    private readonly Dictionary<string, object?> _values;

    /// <summary>Creates an empty bag.</summary>
    public SessionBag() => _values = new Dictionary<string, object?>(StringComparer.Ordinal);

    private SessionBag(int capacity) => _values = new Dictionary<string, object?>(capacity, StringComparer.Ordinal);

    /// <summary>The number of keys.</summary>
    public int Count => _values.Count;

    /// <summary>The keys.</summary>
    public IEnumerable<string> Keys => _values.Keys;

    /// <summary>Gets or sets a value; getting a missing key returns null.</summary>
    /// <exception cref="ArgumentException">The value's type cannot be stored.</exception>
    public object? this[string key]
    {
        get => _values.GetValueOrDefault(key);
        set => _values[key ?? throw new ArgumentNullException(nameof(key))] = Normalize(value, 0);
    }

    /// <summary>Adds a value (collection-initializer support).</summary>
    public void Add(string key, object? value) => this[key] = value;

    /// <summary>True when the key is present.</summary>
    public bool ContainsKey(string key) => _values.ContainsKey(key);

    /// <summary>Removes a key.</summary>
    public bool Remove(string key) => _values.Remove(key);

    /// <summary>Reads a value of type <typeparamref name="T"/>; false when missing or of another type.</summary>
    public bool TryGet<T>(string key, [MaybeNullWhen(false)] out T value)
    {
        if (_values.TryGetValue(key, out object? v) && v is T t)
        {
            value = t;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Copies every key of <paramref name="changes"/> into this bag, replacing existing values (a shallow merge, as the seed's dict.update).</summary>
    public void Merge(SessionBag changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (KeyValuePair<string, object?> pair in changes._values)
        {
            _values[pair.Key] = CloneValue(pair.Value);
        }
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static object? Normalize(object? value, int depth)
    {
        if (depth > MaxDepth) throw new ArgumentException($"Session values may nest at most {MaxDepth} levels.");
        return value switch
        {
            null or bool or long or double or string or byte[] or SessionBag => value,
            int i => (long)i,
            short s => (long)s,
            sbyte sb => (long)sb,
            byte b => (long)b,
            ushort us => (long)us,
            uint ui => (long)ui,
            ulong ul when ul <= long.MaxValue => (long)ul,
            float f => (double)f,
            List<object?> list => NormalizeList(list, depth),
            _ => throw new ArgumentException(
                $"A session bag cannot store a value of type {value.GetType().Name}. Use null, bool, integers, floating point, string, byte[], SessionBag or List<object?>; for anything richer declare a [SessionData] type."),
        };
    }

    private static List<object?> NormalizeList(List<object?> list, int depth)
    {
        for (int i = 0; i < list.Count; i++) list[i] = Normalize(list[i], depth + 1);
        return list;
    }

    private static object? CloneValue(object? value) => value switch
    {
        SessionBag bag => DeepCloneCore(bag),
        byte[] bytes => bytes.Clone(),
        List<object?> list => list.ConvertAll(CloneValue),
        _ => value, // the remaining kinds are immutable
    };

    private static SessionBag DeepCloneCore(SessionBag source)
    {
        var copy = new SessionBag(source._values.Count);
        foreach (KeyValuePair<string, object?> pair in source._values) copy._values[pair.Key] = CloneValue(pair.Value);
        return copy;
    }

    static SessionBag ISessionData<SessionBag>.DeepClone(SessionBag value) => DeepCloneCore(value);

    static SessionBag ISessionData<SessionBag>.CreateDefault() => new();

    static bool ISessionData<SessionBag>.ValueEquals(SessionBag left, SessionBag right) => BagEquals(left, right);

    // Key-level three-way merge: a key only one request added, changed or removed takes that request's state;
    // nested bags merge recursively; a key both changed to different values is a conflict named by its path.
    static SessionBag ISessionData<SessionBag>.Merge(SessionBag @base, SessionBag mine, SessionBag theirs, SessionMergeContext context) =>
        MergeBags(@base, mine, theirs, context);

    private static SessionBag MergeBags(SessionBag @base, SessionBag mine, SessionBag theirs, SessionMergeContext context)
    {
        var result = new SessionBag(theirs._values.Count);
        foreach (KeyValuePair<string, object?> pair in theirs._values) result._values[pair.Key] = pair.Value;
        foreach (string key in @base._values.Keys) MergeKey(@base, mine, theirs, result, key, context);
        foreach (string key in mine._values.Keys)
        {
            if (!@base._values.ContainsKey(key)) MergeKey(@base, mine, theirs, result, key, context);
        }

        return result;
    }

    private static void MergeKey(SessionBag @base, SessionBag mine, SessionBag theirs, SessionBag result, string key, SessionMergeContext context)
    {
        bool inBase = @base._values.TryGetValue(key, out object? b);
        bool inMine = mine._values.TryGetValue(key, out object? m);
        if (inBase == inMine && (!inBase || ValueEquals(b, m))) return; // unchanged by this request: theirs stands
        bool inTheirs = theirs._values.TryGetValue(key, out object? t);
        if (b is SessionBag nb && m is SessionBag nm && t is SessionBag nt)
        {
            string saved = context.Enter(key);
            result._values[key] = MergeBags(nb, nm, nt, context);
            context.Exit(saved);
            return;
        }

        bool theirsChanged = inBase != inTheirs || (inBase && !ValueEquals(b, t));
        bool same = inMine == inTheirs && (!inMine || ValueEquals(m, t));
        if (theirsChanged && !same && !context.KeepsMine(key)) return;
        if (inMine) result._values[key] = m;
        else result._values.Remove(key);
    }

    private static bool BagEquals(SessionBag left, SessionBag right)
    {
        if (ReferenceEquals(left, right)) return true;
        if (left._values.Count != right._values.Count) return false;
        foreach (KeyValuePair<string, object?> pair in left._values)
        {
            if (!right._values.TryGetValue(pair.Key, out object? other) || !ValueEquals(pair.Value, other)) return false;
        }

        return true;
    }

    private static bool ValueEquals(object? left, object? right) => (left, right) switch
    {
        (null, null) => true,
        (SessionBag a, SessionBag b) => BagEquals(a, b),
        (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
        (List<object?> a, List<object?> b) => ListEquals(a, b),
        (double a, double b) => a.Equals(b),
        (bool or long or string, _) => left.Equals(right),
        _ => false,
    };

    private static bool ListEquals(List<object?> left, List<object?> right)
    {
        if (left.Count != right.Count) return false;
        for (int i = 0; i < left.Count; i++)
        {
            if (!ValueEquals(left[i], right[i])) return false;
        }

        return true;
    }

    static void ISessionData<SessionBag>.WriteMessagePack(ref MessagePackWriter writer, SessionBag value) => WriteMap(ref writer, value);

    private static void WriteMap(ref MessagePackWriter writer, SessionBag bag)
    {
        writer.WriteMapHeader(bag._values.Count);
        foreach (KeyValuePair<string, object?> pair in bag._values)
        {
            SessionDataRuntime.WriteString(ref writer, pair.Key);
            WriteValue(ref writer, pair.Value);
        }
    }

    private static void WriteValue(ref MessagePackWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNil(); break;
            case bool b: writer.Write(b); break;
            case long l: writer.Write(l); break;
            case double d: writer.Write(d); break;
            case string s: SessionDataRuntime.WriteString(ref writer, s); break;
            case byte[] bytes: writer.Write(bytes); break;
            case SessionBag bag: WriteMap(ref writer, bag); break;
            case List<object?> list:
                writer.WriteArrayHeader(list.Count);
                foreach (object? item in list) WriteValue(ref writer, item);
                break;
            default: throw new InvalidOperationException("Unreachable: values are normalized when set.");
        }
    }

    static SessionBag ISessionData<SessionBag>.ReadMessagePack(ref MessagePackReader reader)
    {
        try
        {
            if (reader.NextMessagePackType != MessagePackType.Map) throw new SessionFormatException("A session bag must be a MessagePack map.");
            return ReadMap(ref reader, 0);
        }
        catch (Exception e) when (SessionDataRuntime.IsDecodeError(e))
        {
            throw new SessionFormatException("The stored session bag is not valid MessagePack.", e);
        }
    }

    private static SessionBag ReadMap(ref MessagePackReader reader, int depth)
    {
        if (depth > MaxDepth) throw new SessionFormatException($"The session bag nests deeper than {MaxDepth} levels.");
        int count = reader.ReadMapHeader(); // the reader checks count against the remaining bytes
        var bag = new SessionBag(count);
        for (int i = 0; i < count; i++)
        {
            if (reader.NextMessagePackType != MessagePackType.String) throw new SessionFormatException("Session bag keys must be strings.");
            string key = reader.ReadString()!;
            // A repeated key is an error, not "the last one wins": readers elsewhere may keep the first.
            if (!bag._values.TryAdd(key, ReadValue(ref reader, depth + 1))) throw new SessionFormatException("The session bag has the same key twice.");
        }

        return bag;
    }

    private static object? ReadValue(ref MessagePackReader reader, int depth)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil: reader.ReadNil(); return null;
            case MessagePackType.Boolean: return reader.ReadBoolean();
            case MessagePackType.Integer: return reader.ReadInt64();
            case MessagePackType.Float: return reader.ReadDouble();
            case MessagePackType.String: return reader.ReadString();
            case MessagePackType.Binary: return reader.ReadBytes()?.ToArray();
            case MessagePackType.Map: return ReadMap(ref reader, depth);
            case MessagePackType.Array:
                if (depth > MaxDepth) throw new SessionFormatException($"The session bag nests deeper than {MaxDepth} levels.");
                int count = reader.ReadArrayHeader();
                var list = new List<object?>(count);
                for (int i = 0; i < count; i++) list.Add(ReadValue(ref reader, depth + 1));
                return list;
            default:
                throw new SessionFormatException($"A session bag cannot hold a MessagePack {reader.NextMessagePackType}.");
        }
    }

    static void ISessionData<SessionBag>.WriteJson(Utf8JsonWriter writer, SessionBag value) => WriteJsonObject(writer, value);

    private static void WriteJsonObject(Utf8JsonWriter writer, SessionBag bag)
    {
        writer.WriteStartObject();
        foreach (KeyValuePair<string, object?> pair in bag._values)
        {
            writer.WritePropertyName(pair.Key);
            WriteJsonValue(writer, pair.Value);
        }

        writer.WriteEndObject();
    }

    private static void WriteJsonValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case long l: writer.WriteNumberValue(l); break;
            case double d:
                // JSON has no NaN/Infinity; store them as strings rather than fail the whole session.
                if (double.IsFinite(d)) writer.WriteNumberValue(d); else writer.WriteStringValue(d.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case string s: writer.WriteStringValue(s); break;
            case byte[] bytes: writer.WriteBase64StringValue(bytes); break;
            case SessionBag bag: WriteJsonObject(writer, bag); break;
            case List<object?> list:
                writer.WriteStartArray();
                foreach (object? item in list) WriteJsonValue(writer, item);
                writer.WriteEndArray();
                break;
            default: throw new InvalidOperationException("Unreachable: values are normalized when set.");
        }
    }

    static SessionBag ISessionData<SessionBag>.ReadJson(ref Utf8JsonReader reader)
    {
        try
        {
            if (reader.TokenType == JsonTokenType.None && !reader.Read()) throw new SessionFormatException("The session JSON is empty.");
            if (reader.TokenType != JsonTokenType.StartObject) throw new SessionFormatException("A session bag must be a JSON object.");
            return ReadJsonObject(ref reader);
        }
        catch (JsonException e)
        {
            throw new SessionFormatException("The stored session bag is not valid JSON.", e);
        }
        catch (Exception e) when (SessionDataRuntime.IsDecodeError(e))
        {
            throw new SessionFormatException("The stored session bag has an unexpected JSON shape.", e);
        }
    }

    private static SessionBag ReadJsonObject(ref Utf8JsonReader reader)
    {
        var bag = new SessionBag();
        while (true)
        {
            if (!reader.Read()) throw new SessionFormatException("The session JSON ends inside an object.");
            if (reader.TokenType == JsonTokenType.EndObject) return bag;
            string key = reader.GetString()!;
            if (!reader.Read()) throw new SessionFormatException("The session JSON ends after a property name.");
            if (!bag._values.TryAdd(key, ReadJsonValue(ref reader))) throw new SessionFormatException("The session bag has the same key twice.");
        }
    }

    private static object? ReadJsonValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null: return null;
            case JsonTokenType.True: return true;
            case JsonTokenType.False: return false;
            case JsonTokenType.Number: return reader.TryGetInt64(out long l) ? l : reader.GetDouble();
            case JsonTokenType.String: return reader.GetString();
            case JsonTokenType.StartObject: return ReadJsonObject(ref reader);
            case JsonTokenType.StartArray:
                var list = new List<object?>();
                while (true)
                {
                    if (!reader.Read()) throw new SessionFormatException("The session JSON ends inside an array.");
                    if (reader.TokenType == JsonTokenType.EndArray) return list;
                    list.Add(ReadJsonValue(ref reader));
                }

            default: throw new SessionFormatException($"Unexpected JSON token {reader.TokenType} in a session bag.");
        }
    }
}
