using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text.Json;
using MessagePack;

namespace SessionConnector.Generated;

public static partial class SessionCodecs
{
    /// <summary>byte[]: bin or nil; JSON base64 string or null.</summary>
    public readonly struct ByteArrayCodec : ISessionCodec<byte[]>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, byte[] value)
        {
            if (value is null) writer.WriteNil();
            else writer.Write(value.AsSpan());
        }

        /// <inheritdoc/>
        public static byte[] Read(ref MessagePackReader reader) => reader.ReadBytes() is { } bytes ? bytes.ToArray() : null!;

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, byte[] value)
        {
            if (value is null) writer.WriteNullValue();
            else writer.WriteBase64StringValue(value);
        }

        /// <inheritdoc/>
        public static byte[] ReadJson(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null! : reader.GetBytesFromBase64();
        /// <inheritdoc/>
        public static byte[] DeepClone(byte[] value) => (byte[])value?.Clone()!;

        /// <inheritdoc/>
        public static bool Equal(byte[] left, byte[] right)
            => left is null || right is null ? left is null && right is null : left.AsSpan().SequenceEqual(right);
    }

    /// <summary>
    /// An enum: its underlying integer (so renaming a member never breaks stored sessions). Readers also take one
    /// member's name (MessagePack-CSharp's and System.Text.Json's string-enum forms): exactly, else in another case when
    /// only one member matches that way; never padded, a comma list or digits.
    /// </summary>
    /// <typeparam name="TEnum">The enum.</typeparam>
    /// <typeparam name="TInt">Its underlying type; the generator picks it, so the sizes always match.</typeparam>
    /// <typeparam name="TIntCodec">The underlying type's codec.</typeparam>
    public readonly struct EnumCodec<TEnum, TInt, TIntCodec> : ISessionCodec<TEnum>
        where TEnum : struct, Enum
        where TInt : struct
        where TIntCodec : ISessionCodec<TInt>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, TEnum value) => TIntCodec.Write(ref writer, Unsafe.As<TEnum, TInt>(ref value));

        /// <inheritdoc/>
        public static TEnum Read(ref MessagePackReader reader)
        {
            if (reader.NextMessagePackType == MessagePackType.String)
            {
                return Parse(reader.ReadString());
            }

            TInt number = TIntCodec.Read(ref reader);
            return Unsafe.As<TInt, TEnum>(ref number);
        }

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, TEnum value) => TIntCodec.WriteJson(writer, Unsafe.As<TEnum, TInt>(ref value));

        /// <inheritdoc/>
        public static TEnum ReadJson(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                return Parse(reader.GetString());
            }

            TInt number = TIntCodec.ReadJson(ref reader);
            return Unsafe.As<TInt, TEnum>(ref number);
        }

        /// <inheritdoc/>
        public static TEnum DeepClone(TEnum value) => value;

        /// <inheritdoc/>
        public static bool Equal(TEnum left, TEnum right) => TIntCodec.Equal(Unsafe.As<TEnum, TInt>(ref left), Unsafe.As<TEnum, TInt>(ref right));

        private static TEnum Parse(string? name)
        {
            // Not Enum.TryParse: it trims, ORs a comma list and takes digits, so " User , Admin" read as User|Admin,
            // a value the writer never meant. Exactly one name, or the one member whose name matches ignoring case
            // (System.Text.Json's camelCase policy writes "admin" for Admin).
            if (name is null) throw SessionDataRuntime.Invalid("An enum name is nil.");
            string[] names = Enum.GetNames<TEnum>();
            int found = Array.IndexOf(names, name);
            if (found < 0)
            {
                for (int i = 0; i < names.Length; i++)
                {
                    if (!string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase)) continue;
                    if (found >= 0) throw SessionDataRuntime.Invalid("'" + name + "' matches more than one member of the enum in different cases.");
                    found = i;
                }
            }

            // GetValues lists the members in the order GetNames does.
            return found >= 0 ? Enum.GetValues<TEnum>()[found] : throw SessionDataRuntime.Invalid("'" + name + "' names no member of the enum.");
        }
    }

    /// <summary>Nullable&lt;T&gt;: nil / null, or the value's own encoding.</summary>
    public readonly struct NullableCodec<T, TCodec> : ISessionCodec<T?>
        where T : struct
        where TCodec : ISessionCodec<T>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, T? value)
        {
            if (value.HasValue) TCodec.Write(ref writer, value.GetValueOrDefault());
            else writer.WriteNil();
        }

        /// <inheritdoc/>
        public static T? Read(ref MessagePackReader reader) => reader.TryReadNil() ? null : TCodec.Read(ref reader);

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, T? value)
        {
            if (value.HasValue) TCodec.WriteJson(writer, value.GetValueOrDefault());
            else writer.WriteNullValue();
        }

        /// <inheritdoc/>
        public static T? ReadJson(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null : TCodec.ReadJson(ref reader);
        /// <inheritdoc/>
        public static T? DeepClone(T? value) => value.HasValue ? TCodec.DeepClone(value.GetValueOrDefault()) : null;

        /// <inheritdoc/>
        public static bool Equal(T? left, T? right)
            => left.HasValue ? right.HasValue && TCodec.Equal(left.GetValueOrDefault(), right.GetValueOrDefault()) : !right.HasValue;
    }

    /// <summary>
    /// A nested <c>[SessionData]</c> type (or <c>SessionBag</c>): its own <see cref="ISessionData{TSelf}"/> members. A
    /// null reference (a <c>SessionBag?</c> member, say) is nil / JSON null here, so hand-written types need not handle it.
    /// </summary>
    public readonly struct DataCodec<T> : ISessionCodec<T>
        where T : ISessionData<T>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, T value)
        {
            if (value is null) writer.WriteNil();
            else T.WriteMessagePack(ref writer, value);
        }

        /// <inheritdoc/>
        // `default(T) is null` is a constant per instantiation: value types never look for nil here.
        public static T Read(ref MessagePackReader reader) => default(T) is null && reader.TryReadNil() ? default! : T.ReadMessagePack(ref reader);

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, T value)
        {
            if (value is null) writer.WriteNullValue();
            else T.WriteJson(writer, value);
        }

        /// <inheritdoc/>
        public static T ReadJson(ref Utf8JsonReader reader) =>
            default(T) is null && reader.TokenType == JsonTokenType.Null ? default! : T.ReadJson(ref reader);

        /// <inheritdoc/>
        public static T DeepClone(T value) => value is null ? value! : T.DeepClone(value);

        /// <inheritdoc/>
        public static bool Equal(T left, T right)
        {
            if (left is null) return right is null;
            return right is not null && T.ValueEquals(left, right);
        }
    }

    /// <summary>T[]: array or nil; JSON array or null.</summary>
    public readonly struct ArrayCodec<T, TCodec> : ISessionCodec<T[]>
        where TCodec : ISessionCodec<T>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, T[] value)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }

            writer.WriteArrayHeader(value.Length);
            foreach (T item in value) TCodec.Write(ref writer, item);
        }

        /// <inheritdoc/>
        public static T[] Read(ref MessagePackReader reader)
        {
            if (reader.TryReadNil()) return null!;
            int count = SessionDataRuntime.EnterArray(ref reader);
            var result = new T[count];
            for (int i = 0; i < count; i++) result[i] = TCodec.Read(ref reader);
            SessionDataRuntime.Leave(ref reader);
            return result;
        }

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, T[] value)
        {
            if (value is null)
            {
                writer.WriteNullValue();
                return;
            }

            writer.WriteStartArray();
            foreach (T item in value) TCodec.WriteJson(writer, item);
            writer.WriteEndArray();
        }

        /// <inheritdoc/>
        public static T[] ReadJson(ref Utf8JsonReader reader) => ListCodec<T, TCodec>.ReadJson(ref reader)?.ToArray()!;

        /// <inheritdoc/>
        public static T[] DeepClone(T[] value)
        {
            if (value is null) return null!;
            var result = new T[value.Length];
            for (int i = 0; i < value.Length; i++) result[i] = TCodec.DeepClone(value[i]);
            return result;
        }

        /// <inheritdoc/>
        public static bool Equal(T[] left, T[] right)
        {
            if (left is null || right is null) return left is null && right is null;
            if (left.Length != right.Length) return false;
            for (int i = 0; i < left.Length; i++)
            {
                if (!TCodec.Equal(left[i], right[i])) return false;
            }

            return true;
        }
    }

    /// <summary>List&lt;T&gt;: array or nil; JSON array or null.</summary>
    public readonly struct ListCodec<T, TCodec> : ISessionCodec<List<T>>
        where TCodec : ISessionCodec<T>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, List<T> value)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }

            writer.WriteArrayHeader(value.Count);
            foreach (T item in value) TCodec.Write(ref writer, item);
        }

        /// <inheritdoc/>
        public static List<T> Read(ref MessagePackReader reader)
        {
            if (reader.TryReadNil()) return null!;
            int count = SessionDataRuntime.EnterArray(ref reader);
            var result = new List<T>(count);
            for (int i = 0; i < count; i++) result.Add(TCodec.Read(ref reader));
            SessionDataRuntime.Leave(ref reader);
            return result;
        }

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, List<T> value)
        {
            if (value is null)
            {
                writer.WriteNullValue();
                return;
            }

            writer.WriteStartArray();
            foreach (T item in value) TCodec.WriteJson(writer, item);
            writer.WriteEndArray();
        }

        /// <inheritdoc/>
        public static List<T> ReadJson(ref Utf8JsonReader reader)
        {
            return reader.TokenType == JsonTokenType.Null ? null! : ReadJsonItems<List<T>, T, TCodec>(ref reader, new List<T>());
        }

        /// <inheritdoc/>
        public static List<T> DeepClone(List<T> value)
        {
            if (value is null) return null!;
            var result = new List<T>(value.Count);
            foreach (T item in value) result.Add(TCodec.DeepClone(item));
            return result;
        }

        /// <inheritdoc/>
        public static bool Equal(List<T> left, List<T> right)
        {
            if (left is null || right is null) return left is null && right is null;
            if (left.Count != right.Count) return false;
            for (int i = 0; i < left.Count; i++)
            {
                if (!TCodec.Equal(left[i], right[i])) return false;
            }

            return true;
        }
    }

    /// <summary>HashSet&lt;T&gt;: array or nil; JSON array or null. A copy keeps the set's comparer.</summary>
    /// <remarks>
    /// Its writers mirror <see cref="ListCodec{T, TCodec}"/>'s on purpose: each walks its collection's own struct
    /// enumerator, where a shared loop over <c>IEnumerable&lt;T&gt;</c> would box one on every write.
    /// </remarks>
    public readonly struct HashSetCodec<T, TCodec> : ISessionCodec<HashSet<T>>
        where TCodec : ISessionCodec<T>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, HashSet<T> value)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }

            writer.WriteArrayHeader(value.Count);
            foreach (T item in value) TCodec.Write(ref writer, item);
        }

        /// <inheritdoc/>
        public static HashSet<T> Read(ref MessagePackReader reader)
        {
            if (reader.TryReadNil()) return null!;
            int count = SessionDataRuntime.EnterArray(ref reader);
            var result = new HashSet<T>(count);
            for (int i = 0; i < count; i++) result.Add(TCodec.Read(ref reader));
            SessionDataRuntime.Leave(ref reader);
            return result;
        }

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, HashSet<T> value)
        {
            if (value is null)
            {
                writer.WriteNullValue();
                return;
            }

            writer.WriteStartArray();
            foreach (T item in value) TCodec.WriteJson(writer, item);
            writer.WriteEndArray();
        }

        /// <inheritdoc/>
        public static HashSet<T> ReadJson(ref Utf8JsonReader reader)
        {
            return reader.TokenType == JsonTokenType.Null ? null! : ReadJsonItems<HashSet<T>, T, TCodec>(ref reader, new HashSet<T>());
        }

        /// <inheritdoc/>
        public static HashSet<T> DeepClone(HashSet<T> value)
        {
            if (value is null) return null!;
            var result = new HashSet<T>(value.Count, value.Comparer);
            foreach (T item in value) result.Add(TCodec.DeepClone(item));
            return result;
        }

        /// <inheritdoc/>
        /// <remarks>Elements compare by the set's own comparer, as the set itself decides membership.</remarks>
        public static bool Equal(HashSet<T> left, HashSet<T> right)
        {
            if (left is null || right is null) return left is null && right is null;
            return left.Count == right.Count && left.SetEquals(right);
        }
    }

    private static TCollection ReadJsonItems<TCollection, T, TCodec>(ref Utf8JsonReader reader, TCollection result)
        where TCollection : ICollection<T>
        where TCodec : ISessionCodec<T>
    {
        SessionDataRuntime.EnterJson(ref reader, JsonTokenType.StartArray);
        while (SessionDataRuntime.NextItem(ref reader)) result.Add(TCodec.ReadJson(ref reader));
        return result;
    }

    /// <summary>Dictionary&lt;string, T&gt;: map with str keys or nil; JSON object or null. A copy keeps the comparer.</summary>
    public readonly struct DictionaryCodec<T, TCodec> : ISessionCodec<Dictionary<string, T>>
        where TCodec : ISessionCodec<T>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, Dictionary<string, T> value)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }

            writer.WriteMapHeader(value.Count);
            foreach (KeyValuePair<string, T> pair in value)
            {
                SessionDataRuntime.WriteString(ref writer, pair.Key);
                TCodec.Write(ref writer, pair.Value);
            }
        }

        /// <inheritdoc/>
        public static Dictionary<string, T> Read(ref MessagePackReader reader)
        {
            if (reader.TryReadNil()) return null!;
            int count = SessionDataRuntime.EnterMap(ref reader);
            var result = new Dictionary<string, T>(count);
            for (int i = 0; i < count; i++)
            {
                string key = SessionDataRuntime.ReadString(ref reader) ?? throw SessionDataRuntime.Invalid("A dictionary key is nil.");
                // A repeated key is an error, not "the last one wins": readers elsewhere may keep the first.
                if (!result.TryAdd(key, TCodec.Read(ref reader))) throw SessionDataRuntime.Invalid("A dictionary has the same key twice.");
            }

            SessionDataRuntime.Leave(ref reader);
            return result;
        }

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, Dictionary<string, T> value)
        {
            if (value is null)
            {
                writer.WriteNullValue();
                return;
            }

            writer.WriteStartObject();
            foreach (KeyValuePair<string, T> pair in value)
            {
                writer.WritePropertyName(pair.Key);
                TCodec.WriteJson(writer, pair.Value);
            }

            writer.WriteEndObject();
        }

        /// <inheritdoc/>
        public static Dictionary<string, T> ReadJson(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.Null) return null!;
            SessionDataRuntime.EnterJson(ref reader, JsonTokenType.StartObject);
            var result = new Dictionary<string, T>();
            while (SessionDataRuntime.NextProperty(ref reader))
            {
                // Inside an object the reader yields only property names here, never null.
                string key = reader.GetString()!;
                SessionDataRuntime.Next(ref reader);
                if (!result.TryAdd(key, TCodec.ReadJson(ref reader))) throw SessionDataRuntime.Invalid("A dictionary has the same key twice.");
            }

            return result;
        }

        /// <inheritdoc/>
        public static Dictionary<string, T> DeepClone(Dictionary<string, T> value)
        {
            if (value is null) return null!;
            var result = new Dictionary<string, T>(value.Count, value.Comparer);
            foreach (KeyValuePair<string, T> pair in value) result.Add(pair.Key, TCodec.DeepClone(pair.Value));
            return result;
        }

        /// <inheritdoc/>
        public static bool Equal(Dictionary<string, T> left, Dictionary<string, T> right)
        {
            if (left is null || right is null) return left is null && right is null;
            if (left.Count != right.Count) return false;
            foreach (KeyValuePair<string, T> pair in left)
            {
                if (!right.TryGetValue(pair.Key, out T? other) || !TCodec.Equal(pair.Value, other)) return false;
            }

            return true;
        }
    }
}
