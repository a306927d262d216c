using System;
using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace SessionConnector.Generated;

/// <summary>
/// Helpers that code generated for <c>[SessionData]</c> types calls (as System.Text.Json's
/// <c>JsonMetadataServices</c>): one compiled copy per app instead of one per generated type, and the input limits
/// (nesting depth, length prefixes) in one tested place. Not meant to be called by hand; it may change between
/// versions together with the generator that ships in the same package.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SessionDataRuntime
{
    /// <summary>
    /// The deepest nesting a reader accepts. Deeper payloads are hostile (recursive types can nest without end):
    /// stop long before the stack does.
    /// </summary>
    public const int MaxDepth = 64;

    // Records written before the format-version byte existed hold Guid bytes in .NET's mixed-endian order. Readers are
    // static interface members that cannot take an option, so SessionPayload flags a legacy record for the (always
    // synchronous) duration of its decode; per thread, so concurrent decodes never see each other's flag.
    [ThreadStatic] private static bool t_legacyGuidOrder;

    internal static bool LegacyGuidOrder
    {
        get => t_legacyGuidOrder;
        set => t_legacyGuidOrder = value;
    }

    /// <summary>Whether <paramref name="ex"/> is what a decoder throws for bad input (as opposed to a bug).</summary>
    public static bool IsDecodeError(Exception ex)
        => ex is MessagePackSerializationException
            or System.IO.EndOfStreamException
            or OverflowException
            or InvalidOperationException
            or FormatException
            or ArgumentException
            or InvalidCastException
            or JsonException;

    /// <summary>Wraps a decoder's error as the one exception readers throw.</summary>
    public static SessionFormatException Wrap(string typeName, Exception ex)
        => ex as SessionFormatException
            ?? new SessionFormatException("The stored '" + typeName + "' could not be decoded: " + ex.Message, ex);

    /// <summary>Creates the exception readers throw for input that is well-formed but not a valid value.</summary>
    public static SessionFormatException Invalid(string message) => new(message);

    /// <summary>Records that a member's key was read; a key met twice in one object is an error, not "the last one wins".</summary>
    /// <param name="read">The reader's "the payload had it" flag for the member.</param>
    /// <exception cref="SessionFormatException">The key was already read in this object.</exception>
    public static void MarkRead(ref bool read)
    {
        if (read) ThrowDuplicateKey();
        read = true;
    }

    // Out of line: MarkRead is inlined into every case of every reader, and an inlined "throw new ..." there cost
    // about 40 bytes of native code per member and format (issue 21's per-type budget).
    [DoesNotReturn]
    private static void ThrowDuplicateKey() => throw Invalid("The same key appears twice in one object.");

    /// <summary>
    /// Writes a MessagePack str (or nil) as UTF-8 straight into the writer's buffer. Not
    /// <c>MessagePackWriter.Write(string)</c>: in MessagePack 2.5 that method runs a static constructor that calls
    /// <c>Type.GetType</c>, which pulls reflection and the type loader (about 0.3 MB) into every NativeAOT binary.
    /// </summary>
    public static void WriteString(ref MessagePackWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        // Short strings (what sessions hold) are encoded once, straight after a header sized for their char count:
        // exact for ASCII, the common case. A non-ASCII string can only be longer in UTF-8, so its bytes move
        // forward when the actual length needs a longer header; room for the longest encoding and header is
        // reserved up front. Long strings are counted first rather than reserving three bytes per char; the old
        // spec (no str8) is left to MessagePack's own header writer.
        if (value.Length > MaxSinglePassChars || writer.OldSpec)
        {
            int byteCount = Encoding.UTF8.GetByteCount(value);
            writer.WriteStringHeader(byteCount);
            writer.Advance(Encoding.UTF8.GetBytes(value, writer.GetSpan(byteCount)));
            return;
        }

        int maxBytes = value.Length * 3;
        Span<byte> span = writer.GetSpan(StringHeaderSize(maxBytes) + maxBytes);
        int reserved = StringHeaderSize(value.Length);
        Span<byte> utf8 = span.Slice(reserved);
        if (Ascii.FromUtf16(value, utf8, out int length) != OperationStatus.Done)
        {
            // Narrowing stopped at the first non-ASCII char (never inside a surrogate pair): UTF-8 for the rest.
            length += Encoding.UTF8.GetBytes(value.AsSpan(length), utf8.Slice(length));
        }

        int header = StringHeaderSize(length);
        if (header != reserved)
        {
            span.Slice(reserved, length).CopyTo(span.Slice(header));
        }

        WriteStringHeader(span, length, header);
        writer.Advance(header + length);
    }

    // Up to this many chars a string is encoded in one pass (at most 3 UTF-8 bytes per UTF-16 char: 3 KB reserved).
    private const int MaxSinglePassChars = 1024;

    // The shortest str header for a byte length, as MessagePackWriter.WriteStringHeader picks it (fixstr, str8, str16).
    private static int StringHeaderSize(int byteLength) => byteLength <= 31 ? 1 : byteLength <= byte.MaxValue ? 2 : 3;

    private static void WriteStringHeader(Span<byte> span, int byteLength, int headerSize)
    {
        switch (headerSize)
        {
            case 1:
                span[0] = (byte)(MessagePackCode.MinFixStr | byteLength);
                break;
            case 2:
                span[0] = MessagePackCode.Str8;
                span[1] = (byte)byteLength;
                break;
            default:
                span[0] = MessagePackCode.Str16;
                BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)byteLength);
                break;
        }
    }

    /// <summary>
    /// Reads a MessagePack str (or nil) as a string. The same result as <c>MessagePackReader.ReadString</c>, faster for
    /// the short ASCII strings sessions hold.
    /// </summary>
    public static string? ReadString(ref MessagePackReader reader)
    {
        return reader.TryReadStringSpan(out ReadOnlySpan<byte> utf8) ? Decode(utf8) : ReadStringSlow(ref reader);
    }

    // ASCII bytes decode to the same chars in Latin-1 as in UTF-8, and Latin-1 only widens them: one cheap check and
    // one pass instead of UTF-8's count-and-validate pass and its transcoding pass. Out of line: one call costs less
    // than a copy of this in every string member's case of every reader.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Decode(ReadOnlySpan<byte> utf8)
        => Ascii.IsValid(utf8) ? Encoding.Latin1.GetString(utf8) : Encoding.UTF8.GetString(utf8);

    // Nil, or a string split across buffer segments (rare). Kept out of line: MessagePack's ReadString is marked for
    // aggressive inlining, and a copy of it at every string member would crowd the hot path out of the inliner's budget.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string? ReadStringSlow(ref MessagePackReader reader) => reader.ReadString();

    /// <summary>Writes a member key, already UTF-8, as a MessagePack str.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteKey(ref MessagePackWriter writer, ReadOnlySpan<byte> utf8Key)
    {
        // Member names fit a fixstr: header and key go into the buffer with one span request.
        if (utf8Key.Length <= 31)
        {
            Span<byte> span = writer.GetSpan(utf8Key.Length + 1);
            span[0] = (byte)(MessagePackCode.MinFixStr | utf8Key.Length);
            utf8Key.CopyTo(span.Slice(1));
            writer.Advance(utf8Key.Length + 1);
            return;
        }

        writer.WriteStringHeader(utf8Key.Length);
        writer.WriteRaw(utf8Key);
    }

    /// <summary>Counts one nesting level; throws past <see cref="MaxDepth"/>.</summary>
    public static void Enter(ref MessagePackReader reader)
    {
        if (++reader.Depth > MaxDepth)
        {
            ThrowTooDeep();
        }
    }

    /// <summary>Leaves a level counted by <see cref="Enter(ref MessagePackReader)"/>.</summary>
    public static void Leave(ref MessagePackReader reader) => reader.Depth--;

    // Thrown out of line so that Enter stays small enough to inline into every reader.
    [DoesNotReturn]
    private static void ThrowTooDeep() => throw Invalid("The payload nests deeper than " + MaxDepth + " levels.");

    /// <summary>
    /// Reads a map header and enters one level. Pair with <see cref="Leave(ref MessagePackReader)"/>. A count is
    /// untrusted: MessagePack's <c>ReadMapHeader</c> rejects one the remaining bytes cannot hold (two per entry), so
    /// nothing is allocated for an impossible count (SessionDataRuntimeTests pins this down).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int EnterMap(ref MessagePackReader reader)
    {
        int count = reader.ReadMapHeader();
        Enter(ref reader);
        return count;
    }

    /// <summary>
    /// Reads an array header and enters one level. Pair with <see cref="Leave(ref MessagePackReader)"/>. MessagePack's
    /// <c>ReadArrayHeader</c> rejects a count the remaining bytes cannot hold (one per item).
    /// </summary>
    public static int EnterArray(ref MessagePackReader reader)
    {
        int count = reader.ReadArrayHeader();
        Enter(ref reader);
        return count;
    }

    /// <summary>Skips one value of any type. <c>MessagePackReader.Skip</c> recurses without a depth limit; this one counts depth.</summary>
    public static void Skip(ref MessagePackReader reader)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Array:
            {
                int count = EnterArray(ref reader);
                for (int i = 0; i < count; i++)
                {
                    Skip(ref reader);
                }

                Leave(ref reader);
                break;
            }

            case MessagePackType.Map:
            {
                int count = EnterMap(ref reader);
                for (int i = 0; i < 2 * count; i++)
                {
                    Skip(ref reader);
                }

                Leave(ref reader);
                break;
            }

            default:
                reader.Skip();
                break;
        }
    }

    /// <summary>
    /// Reads a map key and returns the index of the matching member key, or -1. The keys are one UTF-8 run,
    /// <paramref name="names"/>, cut at <paramref name="ends"/> (key i ends where key i + 1 starts): constant data a
    /// generated reader passes as literals, so a type needs no key table to build and no class to hold it.
    /// <paramref name="position"/> (the entry's position in the map) is tried first: data written by this version
    /// arrives in declaration order, so one comparison usually settles it; other orders (older or newer schemas) scan.
    /// </summary>
    /// <param name="reader">The reader, at the key.</param>
    /// <param name="position">The entry's position in the map.</param>
    /// <param name="names">The member keys, UTF-8, one after another.</param>
    /// <param name="ends">Where each key ends in <paramref name="names"/>.</param>
    /// <param name="seen">The members read so far, bit i for member i (the first 64); a second read of one throws.</param>
    /// <returns>The member's index, or -1 for a key no member has.</returns>
    public static int ReadKey(ref MessagePackReader reader, int position, ReadOnlySpan<byte> names, ReadOnlySpan<int> ends, ref ulong seen)
    {
        int index = reader.TryReadStringSpan(out ReadOnlySpan<byte> key)
            ? (uint)position < (uint)ends.Length && key.SequenceEqual(KeyAt(names, ends, position)) ? position : IndexOf(key, names, ends)
            : ReadKeySlow(ref reader, names, ends);
        See(ref seen, index);
        return index;
    }

    // The duplicate check of the key readers, so that it is inlined once per reader rather than once per member's case
    // (as MarkRead was: about 20 bytes of native code per member and format, issue 21). Members past the 64th (and
    // unknown keys, -1) have no bit; generated code gives those a MarkRead flag.
    private static void See(ref ulong seen, int index)
    {
        if ((uint)index < 64)
        {
            ulong bit = 1UL << index;
            if ((seen & bit) != 0) ThrowDuplicateKey();
            seen |= bit;
        }
    }

    private static ReadOnlySpan<byte> KeyAt(ReadOnlySpan<byte> names, ReadOnlySpan<int> ends, int index)
    {
        int start = index == 0 ? 0 : ends[index - 1];
        return names.Slice(start, ends[index] - start);
    }

    // Split across buffer segments (rare): copy. A nil key matches no member and its value is skipped. Out of line,
    // like the scan below, so that the in-order case is all that gets inlined into each reader.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadKeySlow(ref MessagePackReader reader, ReadOnlySpan<byte> names, ReadOnlySpan<int> ends)
    {
        ReadOnlySequence<byte>? sequence = reader.ReadStringSequence();
        return sequence is { } s ? IndexOf(s.ToArray(), names, ends) : -1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int IndexOf(ReadOnlySpan<byte> key, ReadOnlySpan<byte> names, ReadOnlySpan<int> ends)
    {
        for (int i = 0; i < ends.Length; i++)
        {
            if (key.SequenceEqual(KeyAt(names, ends, i)))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Moves to the next JSON token; throws if the JSON ends early.</summary>
    public static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw Invalid("The JSON ends early.");
        }
    }

    /// <summary>Throws unless the current token is <paramref name="type"/>.</summary>
    public static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type)
        {
            throw Invalid("Expected JSON " + type + " but found " + reader.TokenType + ".");
        }
    }

    /// <summary>Moves to the first token if the reader has not started; returns whether the token is JSON null.</summary>
    public static bool StartIsNull(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.None)
        {
            Next(ref reader);
        }

        return reader.TokenType == JsonTokenType.Null;
    }

    /// <summary>Checks the current token opens a container of <paramref name="type"/> within <see cref="MaxDepth"/>.</summary>
    public static void EnterJson(ref Utf8JsonReader reader, JsonTokenType type)
    {
        Expect(ref reader, type);
        if (reader.CurrentDepth >= MaxDepth)
        {
            throw Invalid("The JSON nests deeper than " + MaxDepth + " levels.");
        }
    }

    /// <summary>Moves to the next property name of an object; false at its end.</summary>
    public static bool NextProperty(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        return reader.TokenType != JsonTokenType.EndObject;
    }

    /// <summary>Moves to the next item of an array; false at its end.</summary>
    public static bool NextItem(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        return reader.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>
    /// Matches the current property name against the member keys (as <see cref="ReadKey"/>), compared without
    /// allocating even when escaped, then moves to the value. Returns the index or -1.
    /// </summary>
    /// <param name="reader">The reader, at the property name.</param>
    /// <param name="position">The property's position in the object.</param>
    /// <param name="names">The member keys, UTF-8, one after another.</param>
    /// <param name="ends">Where each key ends in <paramref name="names"/>.</param>
    /// <param name="seen">As for <see cref="ReadKey"/>.</param>
    /// <returns>The member's index, or -1 for a name no member has.</returns>
    public static int ReadJsonKey(ref Utf8JsonReader reader, int position, ReadOnlySpan<byte> names, ReadOnlySpan<int> ends, ref ulong seen)
    {
        int found = -1;
        if ((uint)position < (uint)ends.Length && reader.ValueTextEquals(KeyAt(names, ends, position)))
        {
            found = position;
        }
        else
        {
            for (int i = 0; i < ends.Length; i++)
            {
                if (reader.ValueTextEquals(KeyAt(names, ends, i)))
                {
                    found = i;
                    break;
                }
            }
        }

        Next(ref reader);
        See(ref seen, found);
        return found;
    }

    /// <summary>Skips the current JSON value with its children.</summary>
    public static void SkipJson(ref Utf8JsonReader reader)
    {
        if (!reader.TrySkip())
        {
            throw Invalid("The JSON ends early.");
        }
    }

    /// <summary>The current token as a string; throws unless it is a JSON string.</summary>
    public static string GetRequiredString(ref Utf8JsonReader reader)
        => reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw Invalid("Expected a JSON string but found " + reader.TokenType + ".");
}
