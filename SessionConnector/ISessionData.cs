using System.Text.Json;
using MessagePack;

using SessionConnector.Generated;

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
    /// <exception cref="SessionFormatException">The bytes are truncated, malformed or of the wrong type.</exception>
    static abstract TSelf ReadMessagePack(ref MessagePackReader reader);

    /// <summary>Writes <paramref name="value"/> as a plain JSON object.</summary>
    static abstract void WriteJson(Utf8JsonWriter writer, TSelf value);

    /// <summary>Reads a value written by <see cref="WriteJson"/> (or an older/newer schema of it).</summary>
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
    static virtual bool ValueEquals(TSelf left, TSelf right) => SessionMerging.SerializedEquals(left, right);

    /// <summary>
    /// Three-way merge, used when two requests committed one session at once: <paramref name="base"/> is what this
    /// request loaded, <paramref name="mine"/> what it wants to write, <paramref name="theirs"/> what another request
    /// committed meanwhile. The generator merges member by member (see <see cref="SessionMergeStrategy"/>); the default
    /// takes the side that changed the value and reports a conflict on the whole value when both did.
    /// True conflicts go to <paramref name="context"/>; when it reports any, the result must not be written.
    /// </summary>
    static virtual TSelf Merge(TSelf @base, TSelf mine, TSelf theirs, SessionMergeContext context) =>
        SessionMerging.MergeWhole(@base, mine, theirs, context)!;
}
