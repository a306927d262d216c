using System;

namespace SessionConnector.Internal;

/// <summary>
/// Unpadded base64url, the one encoder of the package: IDs, hashes and MACs (short, built on the stack) and sealed cookies
/// (large, built in the one string returned). It lives here rather than on the public <see cref="SessionIds"/> so that
/// Protection and Serialization, which name keys and principals with it, do not depend on the root namespace (see
/// NamespaceLayeringTests).
/// </summary>
internal static class Base64Url
{
    /// <summary>Encodes a short byte string (at most a few hundred bytes: the characters are built on the stack).</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[EncodedLength(bytes.Length)];
        EncodeInto(bytes, chars);
        return new string(chars);
    }

    /// <summary>Encodes a byte string of any size, straight into the string it returns.</summary>
    public static string Encode(byte[] bytes) =>
        string.Create(EncodedLength(bytes.Length), bytes, static (chars, b) => EncodeInto(b, chars));

    private static int EncodedLength(int bytes) => bytes / 3 * 4 + (bytes % 3) switch { 0 => 0, 1 => 2, _ => 3 };

    /// <summary>Writes exactly <see cref="EncodedLength"/> characters into <paramref name="chars"/>.</summary>
    private static void EncodeInto(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        // Unpadded output is the padded output cut before the '=': encode the whole groups in place, the tail apart.
        int whole = bytes.Length / 3 * 3;
        Convert.TryToBase64Chars(bytes[..whole], chars, out int written);
        if (whole < bytes.Length)
        {
            Span<char> tail = stackalloc char[4];
            Convert.TryToBase64Chars(bytes[whole..], tail, out _);
            tail[..(chars.Length - written)].CopyTo(chars[written..]);
        }

        for (int i = 0; i < chars.Length; i++)
        {
            if (chars[i] == '+') chars[i] = '-';
            else if (chars[i] == '/') chars[i] = '_';
        }
    }
}
