using System;
using System.Collections.Generic;
using System.ComponentModel;
using SessionConnector.Serialization;

namespace SessionConnector.Generated;

/// <summary>
/// For use by generated code: the three-way merge steps every <c>[SessionData]</c> type shares (whole values, the
/// <see cref="SessionMergeStrategy"/> rules, sets, dictionaries, nested types), written once here so generated files
/// stay small and AOT compiles each step once per member type, not once per session type. Values compare through
/// their codec (<see cref="ISessionCodec{T}.Equal"/>), the same table that encodes them.
/// Each takes (base, mine, theirs): base is what this request loaded, theirs what another request committed since.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SessionMerging
{
    /// <summary>Merges a value as a whole: the side that changed it wins; both changed differently is a conflict.</summary>
    /// <typeparam name="T">A session data type.</typeparam>
    /// <param name="base">The value this request loaded.</param>
    /// <param name="mine">This request's value.</param>
    /// <param name="theirs">The value committed meanwhile.</param>
    /// <param name="context">The merge in progress.</param>
    /// <param name="member">The member's name (null: the value being merged).</param>
    /// <returns>The merged value.</returns>
    public static T? MergeWhole<T>(T? @base, T? mine, T? theirs, SessionMergeContext context, string? member = null)
        where T : ISessionData<T>
        => ISessionData<T>.MergeWhole(@base, mine, theirs, context, member);

    /// <summary>Merges a nested session value member by member (as a whole when any side is null).</summary>
    /// <typeparam name="T">A session data type.</typeparam>
    /// <param name="base">The value this request loaded.</param>
    /// <param name="mine">This request's value.</param>
    /// <param name="theirs">The value committed meanwhile.</param>
    /// <param name="context">The merge in progress.</param>
    /// <param name="member">The member's name, for conflict paths.</param>
    /// <returns>The merged value.</returns>
    public static T? MergeNested<T>(T? @base, T? mine, T? theirs, SessionMergeContext context, string member)
        where T : ISessionData<T>
    {
        if (@base is null || mine is null || theirs is null) return MergeWhole(@base, mine, theirs, context, member);
        string saved = context.Enter(member);
        try
        {
            return T.Merge(@base, mine, theirs, context);
        }
        finally
        {
            context.Exit(saved);
        }
    }

    /// <summary>
    /// Merges a member as a whole value (<see cref="SessionMergeStrategy.ThreeWay"/> for scalars, lists, arrays):
    /// the side that changed it wins; both changed to different values is a conflict on <paramref name="member"/>.
    /// </summary>
    /// <typeparam name="T">The member type.</typeparam>
    /// <typeparam name="TCodec">Its codec, which compares the values.</typeparam>
    /// <param name="base">The value this request loaded.</param>
    /// <param name="mine">This request's value.</param>
    /// <param name="theirs">The value committed meanwhile.</param>
    /// <param name="context">The merge in progress.</param>
    /// <param name="member">The member's name, for conflict paths.</param>
    /// <returns>The merged value.</returns>
    public static T Merge<T, TCodec>(T @base, T mine, T theirs, SessionMergeContext context, string member)
        where TCodec : ISessionCodec<T>
    {
        if (TCodec.Equal(mine, @base)) return theirs;
        if (TCodec.Equal(theirs, @base) || TCodec.Equal(mine, theirs)) return mine;
        return context.Conflict(member, mine, theirs);
    }

    /// <summary><see cref="SessionMergeStrategy.LastWriterWins"/>: this request's value when it changed it, else theirs.</summary>
    /// <typeparam name="T">The member type.</typeparam>
    /// <typeparam name="TCodec">Its codec, which compares the values.</typeparam>
    /// <param name="base">The value this request loaded.</param>
    /// <param name="mine">This request's value.</param>
    /// <param name="theirs">The value committed meanwhile.</param>
    /// <returns>The merged value.</returns>
    public static T LastWriterWins<T, TCodec>(T @base, T mine, T theirs)
        where TCodec : ISessionCodec<T>
        => TCodec.Equal(mine, @base) ? theirs : mine;

    /// <summary>
    /// <see cref="SessionMergeStrategy.Max"/> and <see cref="SessionMergeStrategy.Min"/>: the side that changed the
    /// value wins; when both did, <paramref name="mineWins"/> decides (the generated code compares with the type's
    /// own operator, so enums, dates and NaN order as they do in C#).
    /// </summary>
    /// <typeparam name="T">The member type.</typeparam>
    /// <typeparam name="TCodec">Its codec, which compares the values.</typeparam>
    /// <param name="base">The value this request loaded.</param>
    /// <param name="mine">This request's value.</param>
    /// <param name="theirs">The value committed meanwhile.</param>
    /// <param name="mineWins">True when this request's value is the larger (Max) or smaller (Min) one.</param>
    /// <returns>The merged value.</returns>
    public static T MergeOrdered<T, TCodec>(T @base, T mine, T theirs, bool mineWins)
        where TCodec : ISessionCodec<T>
    {
        if (TCodec.Equal(mine, @base)) return theirs;
        if (TCodec.Equal(theirs, @base)) return mine;
        return mineWins ? mine : theirs;
    }

    /// <summary>
    /// Compares two values by their MessagePack form: the equality of a hand-written <see cref="ISessionData{TSelf}"/>
    /// type that does not provide its own (generated types do, without serializing).
    /// </summary>
    /// <typeparam name="T">A session data type.</typeparam>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    /// <returns>True when both serialize to the same bytes.</returns>
    public static bool SerializedEquals<T>(T? left, T? right) where T : ISessionData<T>
        => ISessionData<T>.SerializedEquals(left, right);

    /// <summary>
    /// Merges a set per element: elements this request added are added, elements it removed are removed, and the
    /// other request's adds and removes stay. With <paramref name="union"/>, a set both sides changed becomes mine ∪ theirs.
    /// As a whole value when any side is null.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="base">The set this request loaded.</param>
    /// <param name="mine">This request's set.</param>
    /// <param name="theirs">The set committed meanwhile.</param>
    /// <param name="context">The merge in progress.</param>
    /// <param name="member">The member's name, for conflict paths.</param>
    /// <param name="union">True for <see cref="SessionMergeStrategy.Union"/>.</param>
    /// <returns>The merged set (a new instance when both sides changed it).</returns>
    public static HashSet<T>? MergeSet<T>(HashSet<T>? @base, HashSet<T>? mine, HashSet<T>? theirs, SessionMergeContext context, string member, bool union)
    {
        if (@base is null || mine is null || theirs is null)
        {
            if (SetEqual(mine, @base)) return theirs;
            if (SetEqual(theirs, @base) || SetEqual(mine, theirs)) return mine;
            if (union && mine is not null && theirs is not null) return Union(mine, theirs);
            return context.Conflict(member, mine, theirs);
        }

        if (union)
        {
            // Union settles only what both changed; a change on one side is taken as is (removes included).
            if (SetEqual(mine, @base)) return theirs;
            if (SetEqual(theirs, @base)) return mine;
            return Union(mine, theirs);
        }

        var result = new HashSet<T>(theirs, theirs.Comparer);
        foreach (T item in @base)
        {
            if (!mine.Contains(item)) result.Remove(item);
        }

        foreach (T item in mine)
        {
            if (!@base.Contains(item)) result.Add(item);
        }

        return result;

        static HashSet<T> Union(HashSet<T> mine, HashSet<T> theirs)
        {
            var result = new HashSet<T>(theirs, theirs.Comparer);
            result.UnionWith(mine);
            return result;
        }
    }

    // The whole-set comparison of HashSetCodec, without needing the element codec it does not use.
    private static bool SetEqual<T>(HashSet<T>? left, HashSet<T>? right)
    {
        if (left is null) return right is null;
        return right is not null && left.Count == right.Count && left.SetEquals(right);
    }

    /// <summary>
    /// Merges a dictionary per key: a key only this request added, changed or removed takes this request's state;
    /// a key both changed to different states is a conflict named <c>member[key]</c>. As a whole value when any
    /// side is null.
    /// </summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <typeparam name="TCodec">The value type's codec, which compares the values.</typeparam>
    /// <param name="base">The dictionary this request loaded.</param>
    /// <param name="mine">This request's dictionary.</param>
    /// <param name="theirs">The dictionary committed meanwhile.</param>
    /// <param name="context">The merge in progress.</param>
    /// <param name="member">The member's name, for conflict paths.</param>
    /// <returns>The merged dictionary (a new instance when both sides changed it).</returns>
    public static Dictionary<string, T>? MergeDictionary<T, TCodec>(
        Dictionary<string, T>? @base, Dictionary<string, T>? mine, Dictionary<string, T>? theirs, SessionMergeContext context, string member)
        where TCodec : ISessionCodec<T>
    {
        if (@base is null || mine is null || theirs is null)
        {
            return Merge<Dictionary<string, T>, SessionCodecs.DictionaryCodec<T, TCodec>>(@base!, mine!, theirs!, context, member);
        }

        var result = new Dictionary<string, T>(theirs, theirs.Comparer);
        foreach (KeyValuePair<string, T> pair in @base) Merge(pair.Key);
        foreach (KeyValuePair<string, T> pair in mine)
        {
            if (!@base.ContainsKey(pair.Key)) Merge(pair.Key);
        }

        return result;

        void Merge(string key)
        {
            bool inBase = @base.TryGetValue(key, out T? b);
            bool inMine = mine.TryGetValue(key, out T? m);
            if (inBase == inMine && (!inBase || TCodec.Equal(b!, m!))) return; // unchanged by this request: theirs stands
            bool inTheirs = theirs.TryGetValue(key, out T? t);
            bool theirsChanged = inBase != inTheirs || (inBase && !TCodec.Equal(b!, t!));
            bool same = inMine == inTheirs && (!inMine || TCodec.Equal(m!, t!));
            if (theirsChanged && !same && !context.KeepsMine(member + "[" + key + "]")) return;
            if (inMine) result[key] = m!;
            else result.Remove(key);
        }
    }
}
