using System;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using SessionConnector.Internal;

namespace SessionConnector.Protection;

/// <summary>
/// Encrypts every value before it reaches storage and names records by a keyed hash of the session ID.
/// (Initial version: single-record AES-256-GCM with the session ID as associated data.)
/// </summary>
internal sealed class SessionProtector : IDisposable
{
    private const int NonceSize = 12, TagSize = 16, HeaderSize = 1 + 4 + NonceSize;
    private readonly SessionKeyRing _ring;
    private readonly byte[] _namingKey;

    public SessionProtector(SessionKeyRing ring)
    {
        _ring = ring;
        _namingKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, ring.PrimaryKey, 32, null, "SessionConnector storage names v1"u8.ToArray());
    }

    /// <summary>The storage key of a session: base64url(HMAC-SHA256(naming key, id)), 43 characters.</summary>
    public string DeriveStorageKey(string sessionId)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_namingKey, Encoding.UTF8.GetBytes(sessionId), mac);
        return SessionIds.ToBase64Url(mac);
    }

    public byte[] Protect(string sessionId, ReadOnlySpan<byte> plaintext)
    {
        byte[] envelope = new byte[HeaderSize + plaintext.Length + TagSize];
        envelope[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(envelope.AsSpan(1), _ring.PrimaryKeyId);
        RandomNumberGenerator.Fill(envelope.AsSpan(5, NonceSize));
        using var gcm = new AesGcm(_ring.PrimaryKey, TagSize);
        gcm.Encrypt(envelope.AsSpan(5, NonceSize), plaintext, envelope.AsSpan(HeaderSize, plaintext.Length), envelope.AsSpan(HeaderSize + plaintext.Length), Encoding.UTF8.GetBytes(sessionId));
        return envelope;
    }

    public bool TryUnprotect(string sessionId, ReadOnlySpan<byte> envelope, [NotNullWhen(true)] out byte[]? plaintext, out bool usedOldKey)
    {
        plaintext = null;
        usedOldKey = false;
        if (envelope.Length < HeaderSize + TagSize || envelope[0] != 1) return false;
        uint keyId = BinaryPrimitives.ReadUInt32BigEndian(envelope[1..]);
        byte[]? key = _ring.GetKey(keyId);
        if (key is null) return false;
        var output = new byte[envelope.Length - HeaderSize - TagSize];
        try
        {
            using var gcm = new AesGcm(key, TagSize);
            gcm.Decrypt(envelope.Slice(5, NonceSize), envelope.Slice(HeaderSize, output.Length), envelope[^TagSize..], output, Encoding.UTF8.GetBytes(sessionId));
        }
        catch (CryptographicException)
        {
            return false;
        }
        plaintext = output;
        usedOldKey = keyId != _ring.PrimaryKeyId;
        return true;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_namingKey);
}
