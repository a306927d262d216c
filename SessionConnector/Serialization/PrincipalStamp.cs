using System;

namespace SessionConnector.Serialization;

/// <summary>
/// What a bound session carries inside its authenticated payload: the principal's keyed hash and the revocation
/// generation it was sealed at. The session is live only while the principal's generation record still holds that
/// generation (see docs/principals.md).
/// </summary>
internal sealed class PrincipalStamp
{
    public PrincipalStamp(byte[] hash, long generation)
    {
        Hash = hash;
        Generation = generation;
        Key = Internal.Base64Url.Encode(hash);
    }

    /// <summary>HMAC-SHA256 of the principal id under the ring's storage-key key: 32 bytes.</summary>
    public byte[] Hash { get; }

    /// <summary>The generation the session was sealed at (positive).</summary>
    public long Generation { get; }

    /// <summary>The hash as base64url: the name the generation and index records are derived from.</summary>
    public string Key { get; }

    public bool SamePrincipal(PrincipalStamp other) => Hash.AsSpan().SequenceEqual(other.Hash);

    /// <summary>The generation record's storage key, remembered once computed (a racy write of the same value is harmless).</summary>
    internal string? GenerationKey;
}
