using System;
using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using MessagePack;

namespace SessionConnector.Generated;

public static partial class SessionCodecs
{
    /// <summary>
    /// Guid: 16-byte bin in RFC 4122 (big-endian) order, so other languages see the same UUID; JSON "D" string.
    /// Readers also take a 36-character string (MessagePack-CSharp's form) and, in records written before the format
    /// version byte, .NET's mixed-endian byte order.
    /// </summary>
    public readonly struct GuidCodec : ISessionCodec<Guid>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, Guid value)
        {
            writer.WriteBinHeader(16);
            value.TryWriteBytes(writer.GetSpan(16), bigEndian: true, out _);
            writer.Advance(16);
        }

        /// <inheritdoc/>
        public static Guid Read(ref MessagePackReader reader)
        {
            if (reader.NextMessagePackType == MessagePackType.String)
            {
                return Guid.Parse(reader.ReadString() ?? throw SessionDataRuntime.Invalid("A Guid is nil."));
            }

            if (reader.ReadBytes() is not { Length: 16 } bytes)
            {
                throw SessionDataRuntime.Invalid("A Guid must be 16 bytes.");
            }

            Span<byte> buffer = stackalloc byte[16];
            bytes.CopyTo(buffer);
            return new Guid(buffer, bigEndian: !SessionDataRuntime.LegacyGuidOrder);
        }

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, Guid value) => writer.WriteStringValue(value);
        /// <inheritdoc/>
        public static Guid ReadJson(ref Utf8JsonReader reader) => reader.GetGuid();
        /// <inheritdoc/>
        public static Guid DeepClone(Guid value) => value;
        /// <inheritdoc/>
        public static bool Equal(Guid left, Guid right) => left == right;
    }

    /// <summary>
    /// DateTime: <c>DateTime.ToBinary()</c> int64 (keeps Kind and every tick; MessagePack's timestamp would drop Kind);
    /// JSON ISO 8601 "O". Readers also take the MessagePack timestamp extension (type -1, read as UTC) and an ISO 8601 string.
    /// </summary>
    public readonly struct DateTimeCodec : ISessionCodec<DateTime>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, DateTime value) => writer.Write(value.ToBinary());

        /// <inheritdoc/>
        public static DateTime Read(ref MessagePackReader reader) => reader.NextMessagePackType switch
        {
            MessagePackType.Extension => reader.ReadDateTime(),
            MessagePackType.String => DateTime.Parse(RequiredString(ref reader), Invariant, DateTimeStyles.RoundtripKind),
            _ => DateTime.FromBinary(reader.ReadInt64()),
        };

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, DateTime value) => writer.WriteStringValue(value);
        /// <inheritdoc/>
        public static DateTime ReadJson(ref Utf8JsonReader reader) => reader.GetDateTime();
        /// <inheritdoc/>
        public static DateTime DeepClone(DateTime value) => value;
        /// <inheritdoc/>
        public static bool Equal(DateTime left, DateTime right) => left.Ticks == right.Ticks && left.Kind == right.Kind;
    }

    /// <summary>
    /// DateTimeOffset: [clock ticks, offset minutes]; JSON ISO 8601. Readers also take MessagePack-CSharp's
    /// [timestamp, offset minutes], a bare timestamp extension (UTC) and an ISO 8601 string. A text must carry its
    /// offset (<c>Z</c> or <c>±hh:mm</c>): without one, the parsers take the machine's time zone, so one stored session
    /// would read as different instants on differently configured servers.
    /// </summary>
    public readonly struct DateTimeOffsetCodec : ISessionCodec<DateTimeOffset>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, DateTimeOffset value)
        {
            writer.WriteArrayHeader(2);
            writer.Write(value.Ticks);
            writer.Write((short)(value.Offset.Ticks / TimeSpan.TicksPerMinute));
        }

        /// <inheritdoc/>
        public static DateTimeOffset Read(ref MessagePackReader reader)
        {
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Extension:
                    return new DateTimeOffset(reader.ReadDateTime());
                case MessagePackType.String:
                    string text = RequiredString(ref reader);
                    if (!HasOffset(text)) throw NoOffset();
                    return DateTimeOffset.Parse(text, Invariant, DateTimeStyles.None);
            }

            if (reader.ReadArrayHeader() != 2)
            {
                throw SessionDataRuntime.Invalid("A DateTimeOffset must be [ticks, offsetMinutes].");
            }

            long ticks = reader.NextMessagePackType == MessagePackType.Extension ? reader.ReadDateTime().Ticks : reader.ReadInt64();
            short minutes = reader.ReadInt16();
            return new DateTimeOffset(ticks, new TimeSpan(minutes * TimeSpan.TicksPerMinute));
        }

        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, DateTimeOffset value) => writer.WriteStringValue(value);
        /// <inheritdoc/>
        public static DateTimeOffset ReadJson(ref Utf8JsonReader reader)
        {
            // Parsed first: a valid ISO 8601 text is at most 42 characters once unescaped, so it fits the buffer.
            DateTimeOffset value = reader.GetDateTimeOffset();
            Span<char> text = stackalloc char[64];
            int length = reader.CopyString(text);
            return HasOffset(text[..length]) ? value : throw NoOffset();
        }

        /// <inheritdoc/>
        public static DateTimeOffset DeepClone(DateTimeOffset value) => value;
        /// <inheritdoc/>
        public static bool Equal(DateTimeOffset left, DateTimeOffset right) => left.EqualsExact(right);

        /// <summary>Whether a date-and-time text names its offset: <c>Z</c>, <c>+</c> or <c>-</c> after the date.</summary>
        internal static bool HasOffset(ReadOnlySpan<char> text)
        {
            // The date's own '-' separators come before the time; a date alone has no time and no offset.
            int time = text.IndexOfAny('T', 't', ' ');
            return time >= 0 && text[(time + 1)..].IndexOfAny("Zz+-") >= 0;
        }

        private static SessionFormatException NoOffset() =>
            SessionDataRuntime.Invalid("A DateTimeOffset text has no offset (Z or +hh:mm); it is refused rather than read in this machine's time zone.");
    }

    /// <summary>TimeSpan: ticks int64 (as MessagePack-CSharp); JSON "c" string (as System.Text.Json). MessagePack readers also take a "c" string.</summary>
    public readonly struct TimeSpanCodec : ISessionCodec<TimeSpan>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, TimeSpan value) => writer.Write(value.Ticks);
        /// <inheritdoc/>
        public static TimeSpan Read(ref MessagePackReader reader)
            => reader.NextMessagePackType == MessagePackType.String
                ? TimeSpan.ParseExact(RequiredString(ref reader), "c", Invariant)
                : new TimeSpan(reader.ReadInt64());
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, TimeSpan value) => writer.WriteStringValue(value.ToString("c", Invariant));
        /// <inheritdoc/>
        public static TimeSpan ReadJson(ref Utf8JsonReader reader)
            => TimeSpan.ParseExact(SessionDataRuntime.GetRequiredString(ref reader), "c", Invariant);
        /// <inheritdoc/>
        public static TimeSpan DeepClone(TimeSpan value) => value;
        /// <inheritdoc/>
        public static bool Equal(TimeSpan left, TimeSpan right) => left == right;
    }

    /// <summary>DateOnly: DayNumber int32 (as MessagePack-CSharp); JSON "yyyy-MM-dd". MessagePack readers also take that string.</summary>
    public readonly struct DateOnlyCodec : ISessionCodec<DateOnly>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, DateOnly value) => writer.Write(value.DayNumber);
        /// <inheritdoc/>
        public static DateOnly Read(ref MessagePackReader reader)
            => reader.NextMessagePackType == MessagePackType.String
                ? DateOnly.ParseExact(RequiredString(ref reader), "O", Invariant)
                : DateOnly.FromDayNumber(reader.ReadInt32());
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, DateOnly value) => writer.WriteStringValue(value.ToString("O", Invariant));
        /// <inheritdoc/>
        public static DateOnly ReadJson(ref Utf8JsonReader reader)
            => DateOnly.ParseExact(SessionDataRuntime.GetRequiredString(ref reader), "O", Invariant);
        /// <inheritdoc/>
        public static DateOnly DeepClone(DateOnly value) => value;
        /// <inheritdoc/>
        public static bool Equal(DateOnly left, DateOnly right) => left == right;
    }

    /// <summary>
    /// TimeOnly: ticks int64 (as MessagePack-CSharp); JSON "HH:mm:ss.fffffff". Readers also take other invariant
    /// time strings (System.Text.Json trims the fraction), and MessagePack readers a string.
    /// </summary>
    public readonly struct TimeOnlyCodec : ISessionCodec<TimeOnly>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.NoInlining)] // see SessionCodecs: MessagePackWriter inlines its number writes
        public static void Write(ref MessagePackWriter writer, TimeOnly value) => writer.Write(value.Ticks);
        /// <inheritdoc/>
        public static TimeOnly Read(ref MessagePackReader reader)
            => reader.NextMessagePackType == MessagePackType.String ? Parse(RequiredString(ref reader)) : new TimeOnly(reader.ReadInt64());
        /// <inheritdoc/>
        public static void WriteJson(Utf8JsonWriter writer, TimeOnly value) => writer.WriteStringValue(value.ToString("O", Invariant));
        /// <inheritdoc/>
        public static TimeOnly ReadJson(ref Utf8JsonReader reader) => Parse(SessionDataRuntime.GetRequiredString(ref reader));
        /// <inheritdoc/>
        public static TimeOnly DeepClone(TimeOnly value) => value;
        /// <inheritdoc/>
        public static bool Equal(TimeOnly left, TimeOnly right) => left == right;

        private static TimeOnly Parse(string text)
            => TimeOnly.TryParseExact(text, "O", Invariant, DateTimeStyles.None, out TimeOnly value)
                ? value
                : TimeOnly.Parse(text, Invariant);
    }

    private static string RequiredString(ref MessagePackReader reader)
        => reader.ReadString() ?? throw SessionDataRuntime.Invalid("Expected a string but found nil.");
}
