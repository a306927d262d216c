using System;
using System.Collections.Generic;
using System.Security.Cryptography;

namespace SessionConnector;

/// <summary>
/// The keys that protect sessions at rest: one primary key that encrypts, older keys that still decrypt,
/// revoked keys that no longer do.
/// </summary>
public sealed class SessionKeyRing
{
    private readonly Dictionary<uint, byte[]> _keys = new();
    private readonly HashSet<uint> _revoked = new();

    /// <summary>The id of the key that encrypts new records.</summary>
    public uint PrimaryKeyId { get; private set; }

    /// <summary>True when the ring was generated for development because no key was configured.</summary>
    public bool IsDevelopmentKey { get; private set; }

    /// <summary>Adds a key. A 32-byte secret is used as is; any other length (at least 16 bytes) is stretched with HKDF-SHA256.</summary>
    public SessionKeyRing AddKey(uint keyId, ReadOnlySpan<byte> secret, bool primary = false)
    {
        if (secret.Length < 16) throw new ArgumentException("A session key secret must be at least 16 bytes.", nameof(secret));
        byte[] key = secret.Length == 32 ? secret.ToArray() : HKDF.DeriveKey(HashAlgorithmName.SHA256, secret.ToArray(), 32, null, "SessionConnector key v1"u8.ToArray());
        _keys.Add(keyId, key);
        if (primary || _keys.Count == 1) PrimaryKeyId = keyId;
        return this;
    }

    /// <summary>Marks a key as revoked: records under it no longer decrypt.</summary>
    public SessionKeyRing Revoke(uint keyId)
    {
        _revoked.Add(keyId);
        return this;
    }

    /// <summary>A ring holding one key derived from <paramref name="secret"/>.</summary>
    public static SessionKeyRing FromSecret(ReadOnlySpan<byte> secret) => new SessionKeyRing().AddKey(1, secret, primary: true);

    /// <summary>A random, process-local key for development. Sessions do not survive a restart with it.</summary>
    public static SessionKeyRing CreateDevelopment()
    {
        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        var ring = FromSecret(key);
        ring.IsDevelopmentKey = true;
        CryptographicOperations.ZeroMemory(key);
        return ring;
    }

    internal byte[]? GetKey(uint keyId) => _revoked.Contains(keyId) ? null : _keys.GetValueOrDefault(keyId);

    internal byte[] PrimaryKey => _keys[PrimaryKeyId];
}
