using System;
using System.Buffers;
using System.Text.Json;
using MessagePack;

namespace SessionConnector;

/// <summary>
/// Implemented by the source generator for every <c>[SessionData]</c> partial type (and by hand for
/// <c>SessionBag</c>). Static abstract members let the connector's generic methods call the
/// serializers with no reflection, no registration and no boxing: everything is bound at compile time.
/// </summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
public interface ISessionData<TSelf> where TSelf : ISessionData<TSelf>
{
    /// <summary>Writes <paramref name="value"/> as a MessagePack map keyed by member names.</summary>
    static abstract void WriteMessagePack(ref MessagePackWriter writer, TSelf value);

    /// <summary>Reads a value written by <see cref="WriteMessagePack"/> (or an older/newer schema of it).</summary>
    /// <remarks>
    /// The reader's bytes are a pooled plaintext buffer, cleared once the call returns: the value must copy what it keeps
    /// (the generator's code does), never hold a slice of the input.
    /// </remarks>
    /// <exception cref="SessionFormatException">The bytes are truncated, malformed or of the wrong type.</exception>
    static abstract TSelf ReadMessagePack(ref MessagePackReader reader);

    /// <summary>Writes <paramref name="value"/> as a plain JSON object.</summary>
    static abstract void WriteJson(Utf8JsonWriter writer, TSelf value);

    /// <summary>Reads a value written by <see cref="WriteJson"/> (or an older/newer schema of it).</summary>
    /// <remarks>As with <see cref="ReadMessagePack"/>, the input may be a pooled buffer: copy what the value keeps.</remarks>
    /// <exception cref="SessionFormatException">The JSON is truncated, malformed or of the wrong type.</exception>
    static abstract TSelf ReadJson(ref Utf8JsonReader reader);

    /// <summary>
    /// Returns a deep copy that shares no mutable state with <paramref name="value"/>. The cache keeps one
    /// snapshot per session and hands every caller its own copy, so a caller's mutation never leaks.
    /// </summary>
    static abstract TSelf DeepClone(TSelf value);

    /// <summary>Creates the value a brand-new session starts with.</summary>
    static abstract TSelf CreateDefault();

    /// <summary>
    /// True when both values hold the same data. The generator implements it member by member (no reflection, no
    /// boxing); the default compares the MessagePack forms.
    /// </summary>
    static virtual bool ValueEquals(TSelf left, TSelf right) => SerializedEquals(left, right);

    /// <summary>
    /// Three-way merge, used when two requests committed one session at once: <paramref name="base"/> is what this
    /// request loaded, <paramref name="mine"/> what it wants to write, <paramref name="theirs"/> what another request
    /// committed meanwhile. The generator merges member by member (see <see cref="SessionMergeStrategy"/>); the default
    /// takes the side that changed the value and reports a conflict on the whole value when both did.
    /// True conflicts go to <paramref name="context"/>; when it reports any, the result must not be written.
    /// </summary>
    static virtual TSelf Merge(TSelf @base, TSelf mine, TSelf theirs, SessionMergeContext context) =>
        MergeWhole(@base, mine, theirs, context, member: null)!;

    // The defaults' bodies live here and Generated.SessionMerging forwards to them: the data contract sits below the
    // runtime for generated code, which names it (see NamespaceLayeringTests).

    /// <summary>Compares two values by their MessagePack form (null equals only null).</summary>
    internal static bool SerializedEquals(TSelf? left, TSelf? right)
    {
        if (left is null) return right is null;
        if (right is null) return false;
        var a = new ArrayBufferWriter<byte>();
        var b = new ArrayBufferWriter<byte>();
        Write(a, left);
        Write(b, right);
        return a.WrittenSpan.SequenceEqual(b.WrittenSpan);

        static void Write(ArrayBufferWriter<byte> buffer, TSelf value)
        {
            var writer = new MessagePackWriter(buffer);
            TSelf.WriteMessagePack(ref writer, value);
            writer.Flush();
        }
    }

    /// <summary>Merges a value as a whole: the side that changed it wins; both changed differently is a conflict.</summary>
    internal static TSelf? MergeWhole(TSelf? @base, TSelf? mine, TSelf? theirs, SessionMergeContext context, string? member)
    {
        if (Equal(mine, @base)) return theirs;
        if (Equal(theirs, @base) || Equal(mine, theirs)) return mine;
        return context.Conflict(member, mine, theirs);
    }

    private static bool Equal(TSelf? left, TSelf? right)
    {
        if (left is null) return right is null;
        if (right is null) return false;
        return TSelf.ValueEquals(left, right);
    }
}
