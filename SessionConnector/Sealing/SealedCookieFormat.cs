using System;
using System.Buffers.Binary;
using System.Globalization;

namespace SessionConnector.Sealing;

/// <summary>
/// The bytes of a sealed cookie (see docs/sealed.md), before base64url:
/// <code>
/// [0]       0x53 ('S'): sealed cookie format 1
/// [1]       kind: 1 = the session inline, 2 = a reference to a spilled record; | 0x10 when bound to a principal
/// [2..18)   cookie id, 16 bytes from the OS CSPRNG (new at creation and at every renewal)
/// [18..26)  absolute expiry, Unix ms, big-endian (0 = none)
/// [26..34)  idle expiry, Unix ms, big-endian (0 = none)
/// [34..)    envelope version 2 (docs/envelope-format.md) of the session payload or of the spilled record's id
/// </code>
/// The 34-byte header is in clear (so an expired or revoked cookie is refused before any decryption) and bound into the
/// envelope's associated data together with the purpose and the cookie name: none of it can be changed, and a cookie
/// does not open under another name or purpose. A bound cookie's plaintext starts with the principal stamp (the keyed
/// hash, 32 bytes, then the revocation generation, int64be): encrypted, so the cookie does not show which cookies share
/// a user, and authenticated with the rest.
/// </summary>
internal static class SealedCookieFormat
{
    public const byte Marker = 0x53;
    public const byte KindInline = 1;
    public const byte KindSpilled = 2;
    public const byte KindBound = 0x10;
    public const int StampSize = 32 + 8;
    public const int CookieIdOffset = 2;
    public const int CookieIdSize = 16;
    public const int AbsoluteOffset = CookieIdOffset + CookieIdSize; // 18
    public const int IdleOffset = AbsoluteOffset + 8;                // 26
    public const int HeaderSize = IdleOffset + 8;                    // 34

    /// <summary>The smallest well-formed blob: the header and an envelope of an empty payload.</summary>
    public const int MinimumSize = HeaderSize + Protection.EnvelopeFormat.Overhead;

    public static void WriteHeader(Span<byte> blob, byte kind, ReadOnlySpan<byte> cookieId, DateTimeOffset? absolute, DateTimeOffset? idle)
    {
        blob[0] = Marker;
        blob[1] = kind;
        cookieId.CopyTo(blob[CookieIdOffset..]);
        BinaryPrimitives.WriteInt64BigEndian(blob[AbsoluteOffset..], ToMs(absolute));
        BinaryPrimitives.WriteInt64BigEndian(blob[IdleOffset..], ToMs(idle));
    }

    /// <summary>
    /// The associated-data context: a fixed label, the purpose and the cookie name (each length-prefixed, so no two
    /// (purpose, name) pairs give the same text), and the clear header.
    /// </summary>
    public static string Context(string purpose, string cookieName, ReadOnlySpan<byte> header) =>
        string.Create(CultureInfo.InvariantCulture, $"SessionConnector/sealed-cookie/1;{purpose.Length}:{purpose};{cookieName.Length}:{cookieName};{Internal.Base64Url.Encode(header[..HeaderSize])}");

    public static bool TryReadExpiry(ReadOnlySpan<byte> blob, int offset, out DateTimeOffset? at)
    {
        at = null;
        long ms = BinaryPrimitives.ReadInt64BigEndian(blob[offset..]);
        if (ms == 0) return true;
        if (ms < 0 || ms > 253402300799999L) return false;
        at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    /// <summary>Whether <paramref name="kind"/> is one this format defines: inline or spilled, bound or not.</summary>
    public static bool IsKnownKind(byte kind) => (kind & ~KindBound) is KindInline or KindSpilled;

    /// <summary>The plaintext of a bound cookie: the stamp, then the inner payload.</summary>
    public static byte[] WithStamp(Serialization.PrincipalStamp stamp, ReadOnlySpan<byte> inner)
    {
        byte[] bytes = new byte[StampSize + inner.Length];
        stamp.Hash.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(32), stamp.Generation);
        inner.CopyTo(bytes.AsSpan(StampSize));
        return bytes;
    }

    /// <summary>Splits a bound cookie's plaintext; false when it is too short or the generation is not positive.</summary>
    public static bool TryReadStamp(byte[] plaintext, out Serialization.PrincipalStamp? stamp, out byte[] inner)
    {
        stamp = null;
        inner = plaintext;
        if (plaintext.Length < StampSize) return false;
        long generation = BinaryPrimitives.ReadInt64BigEndian(plaintext.AsSpan(32));
        if (generation <= 0) return false;
        stamp = new Serialization.PrincipalStamp(plaintext.AsSpan(0, 32).ToArray(), generation);
        inner = plaintext.AsSpan(StampSize).ToArray();
        return true;
    }

    private static long ToMs(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds() ?? 0;

    /// <summary>Unpadded base64url of a whole cookie blob (see <see cref="Internal.Base64Url"/>).</summary>
    public static string ToBase64Url(byte[] bytes) => Internal.Base64Url.Encode(bytes);

    /// <summary>Strict base64url: only the 64 URL-safe characters, no padding, and the one canonical encoding of the bytes.</summary>
    public static byte[]? FromBase64Url(ReadOnlySpan<char> text)
    {
        int rest = text.Length % 4;
        if (text.Length == 0 || rest == 1) return null;
        char[] buffer = new char[text.Length + (rest == 0 ? 0 : 4 - rest)];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            buffer[i] = c switch
            {
                >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' => c,
                '-' => '+',
                '_' => '/',
                _ => '\0',
            };
            if (buffer[i] == '\0') return null;
        }

        // Unused low bits of the last character must be zero, or several texts would name one cookie.
        if (rest != 0 && (Sextet(text[^1]) & (rest == 2 ? 0x0F : 0x03)) != 0) return null;
        for (int i = text.Length; i < buffer.Length; i++) buffer[i] = '=';
        byte[] bytes = new byte[text.Length / 4 * 3 + (rest == 0 ? 0 : rest - 1)];
        return Convert.TryFromBase64Chars(buffer, bytes, out int written) && written == bytes.Length ? bytes : null;
    }

    private static int Sextet(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        _ => 63,
    };
}
