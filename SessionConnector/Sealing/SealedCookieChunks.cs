using System;
using System.Collections.Generic;
using System.Globalization;

namespace SessionConnector.Sealing;

/// <summary>
/// Splits a sealed session over cookies and puts it back together from a <c>Cookie</c> request header. Chunk N is the
/// cookie <c>name</c> (N = 0) or <c>name.N</c>, and its value starts with <c>N.count.</c>, so a missing, reordered,
/// duplicated or left-over chunk is refused before any decryption (and any mix-up that got past that would still fail
/// authentication: the envelope covers the whole text).
/// </summary>
internal static class SealedCookieChunks
{
    /// <summary>The hard cap on <see cref="SessionSealerOptions.MaxChunks"/>.</summary>
    public const int MaxChunksLimit = 16;

    /// <summary>Cookie headers longer than this are hostile or broken: no server accepts one that big by default.</summary>
    public const int MaxHeaderChars = 64 * 1024;

    public static int PrefixLength(int index, int count) => Digits(index) + Digits(count) + 2;

    public static string ChunkName(string name, int index) =>
        index == 0 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}.{index}");

    public static string ChunkValue(int index, int count, ReadOnlySpan<char> piece) =>
        string.Create(CultureInfo.InvariantCulture, $"{index}.{count}.{piece}");

    /// <summary>
    /// Finds the chunks of cookie <paramref name="name"/> in a <c>Cookie</c> header and joins them. Never throws on
    /// hostile input; <paramref name="presented"/> is how many chunk cookies the browser holds (to delete stale ones).
    /// </summary>
    public static SealedSessionStatus TryJoin(string? cookieHeader, string name, int maxChunks, out string? text, out int presented)
    {
        text = null;
        presented = 0;
        if (string.IsNullOrEmpty(cookieHeader)) return SealedSessionStatus.None;
        if (cookieHeader.Length > MaxHeaderChars) return SealedSessionStatus.Malformed;

        var values = new string?[MaxChunksLimit];
        bool malformed = false;
        bool any = false;
        ReadOnlySpan<char> rest = cookieHeader;
        while (!rest.IsEmpty)
        {
            int semi = rest.IndexOf(';');
            ReadOnlySpan<char> pair = (semi < 0 ? rest : rest[..semi]).Trim(" \t");
            rest = semi < 0 ? default : rest[(semi + 1)..];
            int eq = pair.IndexOf('=');
            if (eq <= 0) continue;
            ReadOnlySpan<char> cookieName = pair[..eq].Trim(" \t");
            if (!cookieName.StartsWith(name, StringComparison.Ordinal)) continue;
            int index;
            if (cookieName.Length == name.Length) index = 0;
            else if (cookieName[name.Length] == '.' && TryParseIndex(cookieName[(name.Length + 1)..], out int n)) index = n;
            else continue; // another cookie that merely starts with our name

            any = true;
            if (index == 0 && cookieName.Length != name.Length) { malformed = true; continue; } // "name.0"
            if (index >= MaxChunksLimit) { malformed = true; continue; }
            presented = Math.Max(presented, index + 1);
            // The same chunk twice: two cookies planted on different paths or domains, or an injected one. Refuse both.
            if (values[index] is not null) { malformed = true; continue; }
            values[index] = pair[(eq + 1)..].Trim(" \t").ToString();
        }

        if (!any) return SealedSessionStatus.None;
        if (malformed || values[0] is null) return SealedSessionStatus.Malformed;
        if (!TryReadPrefix(values[0]!, out int first, out int count, out int offset) || first != 0 || count > maxChunks)
        {
            return SealedSessionStatus.Malformed;
        }

        if (count == 1)
        {
            // The common case: one cookie, no joining.
            for (int i = 1; i < MaxChunksLimit; i++)
            {
                if (values[i] is not null) return SealedSessionStatus.Malformed; // a chunk the first one does not count
            }

            text = values[0]!.Substring(offset);
            return SealedSessionStatus.Opened;
        }

        var builder = new System.Text.StringBuilder(values[0]!.Length * count);
        builder.Append(values[0], offset, values[0]!.Length - offset);
        for (int i = 1; i < MaxChunksLimit; i++)
        {
            string? value = values[i];
            if (i >= count)
            {
                if (value is not null) return SealedSessionStatus.Malformed; // a chunk the first one does not count
                continue;
            }

            if (value is null) return SealedSessionStatus.Malformed; // missing
            if (!TryReadPrefix(value, out int at, out int total, out int start) || at != i || total != count)
            {
                return SealedSessionStatus.Malformed; // reordered, or from another seal
            }

            builder.Append(value, start, value.Length - start);
        }

        text = builder.ToString();
        return SealedSessionStatus.Opened;
    }

    /// <summary>Splits <paramref name="text"/> into pieces of at most <paramref name="capacity"/> characters.</summary>
    public static List<string> Split(string text, int capacity)
    {
        var pieces = new List<string>((text.Length + capacity - 1) / capacity);
        for (int i = 0; i < text.Length; i += capacity) pieces.Add(text.Substring(i, Math.Min(capacity, text.Length - i)));
        return pieces;
    }

    private static bool TryReadPrefix(string value, out int index, out int count, out int offset)
    {
        index = count = offset = 0;
        int dot1 = value.IndexOf('.');
        if (dot1 <= 0) return false;
        int dot2 = value.IndexOf('.', dot1 + 1);
        if (dot2 <= dot1 + 1) return false;
        if (!TryParseIndex(value.AsSpan(0, dot1), out index) || !TryParseIndex(value.AsSpan(dot1 + 1, dot2 - dot1 - 1), out count)) return false;
        if (count < 1 || count > MaxChunksLimit || index >= count) return false;
        offset = dot2 + 1;
        return offset < value.Length;
    }

    // Decimal, no sign, no leading zero, at most two digits: one spelling per number.
    private static bool TryParseIndex(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 2 || (digits.Length > 1 && digits[0] == '0')) return false;
        foreach (char c in digits)
        {
            if (c is < '0' or > '9') return false;
            value = value * 10 + (c - '0');
        }

        return true;
    }

    private static int Digits(int value) => value < 10 ? 1 : 2;
}
