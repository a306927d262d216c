using System;

namespace SessionConnector.Internal;

/// <summary>
/// Unpadded base64url of a short byte string (IDs, hashes, MACs), built on the stack. It lives here rather than on the
/// public <see cref="SessionIds"/> so that Protection and Serialization, which name keys and principals with it, do not
/// depend on the root namespace (see NamespaceLayeringTests).
/// </summary>
internal static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[(bytes.Length + 2) / 3 * 4];
        Convert.TryToBase64Chars(bytes, chars, out int written);
        int length = written;
        while (length > 0 && chars[length - 1] == '=') length--;
        for (int i = 0; i < length; i++)
        {
            char c = chars[i];
            if (c == '+') chars[i] = '-';
            else if (c == '/') chars[i] = '_';
        }
        return new string(chars[..length]);
    }
}
