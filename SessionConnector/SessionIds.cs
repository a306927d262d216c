using System;
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using SessionConnector.Internal;

namespace SessionConnector;

/// <summary>Generation and validation of session IDs.</summary>
public static class SessionIds
{
    /// <summary>Longest ID accepted; longer IDs are rejected before any lookup.</summary>
    public const int MaxLength = 256;

    /// <summary>32 CSPRNG bytes as unpadded base64url: 43 characters, 256 bits of entropy.</summary>
    public static string Generate()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.Encode(bytes);
    }

    /// <summary>
    /// Accepts only printable ASCII without separators: letters, digits and <c>- _ . ~</c>, but never a
    /// leading dot (so no "." / ".." path segments). Everything else — '/', '\', NUL, whitespace, control and
    /// non-ASCII characters, percent-encoding — is rejected, so a hostile ID cannot reach a file system or a key space.
    /// </summary>
    internal static void Validate(string? id)
    {
        if (id is null) Throw.ArgumentNull("sessionId");
        if (id.Length == 0) Throw.InvalidId("it is empty.");
        if (id.Length > MaxLength) Throw.InvalidId($"it is {id.Length} characters long; the limit is {MaxLength}.");
        if (id[0] == '.') Throw.InvalidId("it starts with '.'.");
        int bad = id.AsSpan().IndexOfAnyExcept(s_allowed);
        if (bad >= 0)
        {
            char c = id[bad];
            Throw.InvalidId(c < 0x20 || c == 0x7F
                ? $"it contains the control character U+{(int)c:X4}."
                : $"it contains '{(c > 0x7E ? "U+" + ((int)c).ToString("X4") : c.ToString())}'; only ASCII letters, digits and - _ . ~ are allowed.");
        }
    }

    /// <summary>
    /// True when <paramref name="id"/> is a well-formed session ID (the rules of the connector's own check): lets a
    /// middleware treat a malformed cookie as "no session" without catching <see cref="InvalidSessionIdException"/>.
    /// A well-formed ID may still match no live session.
    /// </summary>
    public static bool IsValid([NotNullWhen(true)] string? id)
    {
        if (id is null || id.Length == 0 || id.Length > MaxLength || id[0] == '.') return false;
        return !id.AsSpan().ContainsAnyExcept(s_allowed);
    }

    // Checked on every operation: a vectorised scan takes a 43-character ID in a few instructions instead of a loop of
    // branches per character.
    private static readonly SearchValues<char> s_allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~");
}
