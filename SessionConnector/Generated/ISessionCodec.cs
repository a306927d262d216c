using System.ComponentModel;
using System.Text.Json;
using MessagePack;

namespace SessionConnector.Generated;

/// <summary>
/// How one member type is encoded and compared: the MessagePack and JSON forms, a deep copy and the equality that
/// merge and <c>ValueEquals</c> use. Implemented by the structs in
/// <see cref="SessionCodecs"/>, which generated code names per member (the encoding table in
/// docs/session-data-format.md). Collections take their element's codec as a type argument, so a
/// <c>List&lt;int&gt;</c> compiles once per app, not once per type that holds one.
/// </summary>
/// <typeparam name="T">The member type (reference types without nullable annotations; null is handled inside).</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ISessionCodec<T>
{
    /// <summary>Writes <paramref name="value"/> as MessagePack.</summary>
    static abstract void Write(ref MessagePackWriter writer, T value);

    /// <summary>Reads a value written by <see cref="Write"/>, or by another library for the same value.</summary>
    static abstract T Read(ref MessagePackReader reader);

    /// <summary>Writes <paramref name="value"/> as JSON.</summary>
    static abstract void WriteJson(Utf8JsonWriter writer, T value);

    /// <summary>Reads the current JSON value, written by <see cref="WriteJson"/> or by another library.</summary>
    static abstract T ReadJson(ref Utf8JsonReader reader);

    /// <summary>A copy sharing no mutable state with <paramref name="value"/>.</summary>
    static abstract T DeepClone(T value);

    /// <summary>
    /// True when both values hold the same data: what <see cref="Write"/> would store for them is the same (so NaN
    /// equals NaN, a <see cref="System.DateTime"/>'s Kind counts, null equals only null).
    /// </summary>
    static abstract bool Equal(T left, T right);
}
