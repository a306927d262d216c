using System;
using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using MessagePack;

namespace SessionConnector.Generated;

/// <summary>
/// The codec for each member type that <c>[SessionData]</c> supports, named by generated code (one row each in the
/// encoding table of docs/session-data-format.md). Writers emit one canonical form; readers also accept what other
/// MessagePack and JSON libraries commonly write for the same value. This file: booleans, numbers, text.
/// The MessagePack writers of numbers, Guid and the time types are NoInlining: MessagePackWriter's number writes
/// are inlined whole (about 900 bytes of NativeAOT code for one int), and every generated WriteMessagePack would
/// carry a copy per member; one shared call each keeps a session type small (issue 21) for the cost of a call.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class SessionCodecs
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>bool: MessagePack bool, JSON true/false.</summary>
    public readonly struct BooleanCodec : ISessionCodec<bool>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, bool value) => writer.Write(value);
        /// <inheritdoc/>
        public static bool Read(ref MessagePackReader reader) => reader.ReadBoolean();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, bool value) => writer.WriteBooleanValue(value);
        /// <inheritdoc/>
        public static bool ReadJson(ref Utf8JsonReader reader) => reader.GetBoolean();
        /// <inheritdoc/>
        public static bool DeepClone(bool value) => value;
        /// <inheritdoc/>
        public static bool Equal(bool left, bool right) => left == right;
    }

    /// <summary>sbyte: integer (MessagePack picks the smallest encoding), JSON number.</summary>
    public readonly struct SByteCodec : ISessionCodec<sbyte>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, sbyte value) => writer.Write(value);
        /// <inheritdoc/>
        public static sbyte Read(ref MessagePackReader reader) => reader.ReadSByte();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, sbyte value) => writer.WriteNumberValue(value);
        /// <inheritdoc/>
        public static sbyte ReadJson(ref Utf8JsonReader reader) => reader.GetSByte();
        /// <inheritdoc/>
        public static sbyte DeepClone(sbyte value) => value;
        /// <inheritdoc/>
        public static bool Equal(sbyte left, sbyte right) => left == right;
    }

    /// <summary>byte: integer, JSON number.</summary>
    public readonly struct ByteCodec : ISessionCodec<byte>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, byte value) => writer.Write(value);
        /// <inheritdoc/>
        public static byte Read(ref MessagePackReader reader) => reader.ReadByte();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, byte value) => writer.WriteNumberValue(value);
        /// <inheritdoc/>
        public static byte ReadJson(ref Utf8JsonReader reader) => reader.GetByte();
        /// <inheritdoc/>
        public static byte DeepClone(byte value) => value;
        /// <inheritdoc/>
        public static bool Equal(byte left, byte right) => left == right;
    }

    /// <summary>short: integer, JSON number.</summary>
    public readonly struct Int16Codec : ISessionCodec<short>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, short value) => writer.Write(value);
        /// <inheritdoc/>
        public static short Read(ref MessagePackReader reader) => reader.ReadInt16();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, short value) => writer.WriteNumberValue(value);
        /// <inheritdoc/>
        public static short ReadJson(ref Utf8JsonReader reader) => reader.GetInt16();
        /// <inheritdoc/>
        public static short DeepClone(short value) => value;
        /// <inheritdoc/>
        public static bool Equal(short left, short right) => left == right;
    }

    /// <summary>ushort: integer, JSON number.</summary>
    public readonly struct UInt16Codec : ISessionCodec<ushort>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, ushort value) => writer.Write(value);
        /// <inheritdoc/>
        public static ushort Read(ref MessagePackReader reader) => reader.ReadUInt16();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, ushort value) => writer.WriteNumberValue(value);
        /// <inheritdoc/>
        public static ushort ReadJson(ref Utf8JsonReader reader) => reader.GetUInt16();
        /// <inheritdoc/>
        public static ushort DeepClone(ushort value) => value;
        /// <inheritdoc/>
        public static bool Equal(ushort left, ushort right) => left == right;
    }

    /// <summary>int: integer, JSON number.</summary>
    public readonly struct Int32Codec : ISessionCodec<int>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, int value) => writer.Write(value);
        /// <inheritdoc/>
        public static int Read(ref MessagePackReader reader) => reader.ReadInt32();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, int value) => writer.WriteNumberValue(value);
        /// <inheritdoc/>
        public static int ReadJson(ref Utf8JsonReader reader) => reader.GetInt32();
        /// <inheritdoc/>
        public static int DeepClone(int value) => value;
        /// <inheritdoc/>
        public static bool Equal(int left, int right) => left == right;
    }

    /// <summary>uint: integer, JSON number.</summary>
    public readonly struct UInt32Codec : ISessionCodec<uint>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, uint value) => writer.Write(value);
        /// <inheritdoc/>
        public static uint Read(ref MessagePackReader reader) => reader.ReadUInt32();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, uint value) => writer.WriteNumberValue(value);
        /// <inheritdoc/>
        public static uint ReadJson(ref Utf8JsonReader reader) => reader.GetUInt32();
        /// <inheritdoc/>
        public static uint DeepClone(uint value) => value;
        /// <inheritdoc/>
        public static bool Equal(uint left, uint right) => left == right;
    }

    /// <summary>long: integer, JSON number.</summary>
    public readonly struct Int64Codec : ISessionCodec<long>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, long value) => writer.Write(value);
        /// <inheritdoc/>
        public static long Read(ref MessagePackReader reader) => reader.ReadInt64();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, long value) => writer.WriteNumberValue(value);
        /// <inheritdoc/>
        public static long ReadJson(ref Utf8JsonReader reader) => reader.GetInt64();
        /// <inheritdoc/>
        public static long DeepClone(long value) => value;
        /// <inheritdoc/>
        public static bool Equal(long left, long right) => left == right;
    }

    /// <summary>ulong: integer, JSON number.</summary>
    public readonly struct UInt64Codec : ISessionCodec<ulong>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, ulong value) => writer.Write(value);
        /// <inheritdoc/>
        public static ulong Read(ref MessagePackReader reader) => reader.ReadUInt64();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, ulong value) => writer.WriteNumberValue(value);
        /// <inheritdoc/>
        public static ulong ReadJson(ref Utf8JsonReader reader) => reader.GetUInt64();
        /// <inheritdoc/>
        public static ulong DeepClone(ulong value) => value;
        /// <inheritdoc/>
        public static bool Equal(ulong left, ulong right) => left == right;
    }

    /// <summary>float: float32; JSON number, or "NaN"/"Infinity"/"-Infinity" (JSON numbers cannot hold them).</summary>
    public readonly struct SingleCodec : ISessionCodec<float>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, float value) => writer.Write(value);
        /// <inheritdoc/>
        public static float Read(ref MessagePackReader reader) => reader.ReadSingle();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, float value)
        {
            if (float.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteStringValue(value.ToString(Invariant));
        }

        /// <inheritdoc/>
        public static float ReadJson(ref Utf8JsonReader reader)
            => reader.TokenType == JsonTokenType.String ? (float)ParseNamedFloat(reader.GetString()) : reader.GetSingle();
        /// <inheritdoc/>
        public static float DeepClone(float value) => value;
        /// <inheritdoc/>
        public static bool Equal(float left, float right) => left.Equals(right);
    }

    /// <summary>double: float64; JSON number, or "NaN"/"Infinity"/"-Infinity".</summary>
    public readonly struct DoubleCodec : ISessionCodec<double>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, double value) => writer.Write(value);
        /// <inheritdoc/>
        public static double Read(ref MessagePackReader reader) => reader.ReadDouble();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, double value)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteStringValue(value.ToString(Invariant));
        }

        /// <inheritdoc/>
        public static double ReadJson(ref Utf8JsonReader reader)
            => reader.TokenType == JsonTokenType.String ? ParseNamedFloat(reader.GetString()) : reader.GetDouble();
        /// <inheritdoc/>
        public static double DeepClone(double value) => value;
        /// <inheritdoc/>
        public static bool Equal(double left, double right) => left.Equals(right);
    }

    private static double ParseNamedFloat(string? text) => text switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => throw SessionDataRuntime.Invalid("Expected a JSON number."),
    };

    /// <summary>
    /// decimal: MessagePack has no decimal, so an invariant string that keeps the scale ("1.50") and the sign of
    /// zero ("-0"); JSON number. Readers also take a number in MessagePack and a string in JSON.
    /// </summary>
    public readonly struct DecimalCodec : ISessionCodec<decimal>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, decimal value) => SessionDataRuntime.WriteString(ref writer, Format(value));

        /// <inheritdoc/>
        public static decimal Read(ref MessagePackReader reader) => reader.NextMessagePackType switch
        {
            MessagePackType.Integer => reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64() : reader.ReadInt64(),
            MessagePackType.Float => (decimal)reader.ReadDouble(),
            _ => Parse(reader.ReadString()),
        };

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, decimal value)
        {
            if (value == 0m && decimal.IsNegative(value)) writer.WriteRawValue(Format(value));
            else writer.WriteNumberValue(value);
        }

        /// <inheritdoc/>
        public static decimal ReadJson(ref Utf8JsonReader reader)
            => reader.TokenType == JsonTokenType.String ? Parse(reader.GetString()) : reader.GetDecimal();

        /// <inheritdoc/>
        public static decimal DeepClone(decimal value) => value;
        /// <inheritdoc/>
        public static bool Equal(decimal left, decimal right) => left == right;

        // decimal prints negative zero without its sign; parsing "-0.00" keeps it, so add it back.
        private static string Format(decimal value)
        {
            string text = value.ToString(Invariant);
            return decimal.IsNegative(value) && text[0] != '-' ? "-" + text : text;
        }

        private static decimal Parse(string? text)
            => decimal.Parse(text ?? throw SessionDataRuntime.Invalid("A decimal is nil."), NumberStyles.Float, Invariant);
    }

    /// <summary>
    /// char: the UTF-16 code unit as an integer in both formats (a lone surrogate is not valid JSON text); readers
    /// also take a one-character string, as System.Text.Json writes it.
    /// </summary>
    public readonly struct CharCodec : ISessionCodec<char>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, char value) => writer.Write(value);
        /// <inheritdoc/>
        public static char Read(ref MessagePackReader reader)
            => reader.NextMessagePackType == MessagePackType.String ? Single(reader.ReadString()) : reader.ReadChar();
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, char value) => writer.WriteNumberValue(value);
        /// <inheritdoc/>
        public static char ReadJson(ref Utf8JsonReader reader)
            => reader.TokenType == JsonTokenType.String ? Single(reader.GetString()) : (char)reader.GetUInt16();
        /// <inheritdoc/>
        public static char DeepClone(char value) => value;
        /// <inheritdoc/>
        public static bool Equal(char left, char right) => left == right;

        private static char Single(string? text)
            => text is { Length: 1 } ? text[0] : throw SessionDataRuntime.Invalid("A char must be a one-character string.");
    }

    /// <summary>string: str or nil; JSON string or null.</summary>
    public readonly struct StringCodec : ISessionCodec<string>
    {
        /// <inheritdoc/>
        public static void Write(ref MessagePackWriter writer, string value) => SessionDataRuntime.WriteString(ref writer, value);
        /// <inheritdoc/>
        public static string Read(ref MessagePackReader reader) => SessionDataRuntime.ReadString(ref reader)!;
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, string value)
        {
            if (value is null) writer.WriteNullValue();
            else writer.WriteStringValue(value);
        }

        /// <inheritdoc/>
        public static string ReadJson(ref Utf8JsonReader reader) => reader.GetString()!;
        /// <inheritdoc/>
        public static string DeepClone(string value) => value;
        /// <inheritdoc/>
        public static bool Equal(string left, string right) => string.Equals(left, right);
    }
}
