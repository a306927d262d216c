using System;
using System.Buffers.Binary;
using SessionConnector.Serialization;

namespace SessionConnector.Principals;

/// <summary>
/// Names and payloads of the per-principal records. Each name is the keyed hash of a label no session ID can spell (a
/// session ID is base64url, the labels start with U+0001), so a principal record never shares a storage key with a
/// session, and a reader of the store sees one more opaque 43-character key, not a user name.
/// </summary>
internal static class PrincipalRecords
{
    /// <summary>The longest principal id accepted: ids are user or account ids, and hashing stays cheap.</summary>
    public const int MaxPrincipalIdLength = 1024;

    // The generation record's payload: an ordinary payload header (MessagePack, no expiry, unbound) and the generation
    // as a MessagePack int64, so store maintenance (stats, rotate) sees a well-formed record and re-seals it unchanged.
    private const int GenerationPayloadSize = SessionPayload.HeaderSize + 9;
    private const byte MessagePackInt64 = 0xd3;

    public static string HashLabel(string principalId) => "\u0001principal\u0001" + principalId;

    public static string GenerationLabel(string principalKey) => "\u0001generation\u0001" + principalKey;

    public static void ValidatePrincipalId(string principalId)
    {
        ArgumentException.ThrowIfNullOrEmpty(principalId);
        if (principalId.Length > MaxPrincipalIdLength)
        {
            throw new ArgumentException($"A principal id is at most {MaxPrincipalIdLength} characters.", nameof(principalId));
        }
    }

    public static byte[] GenerationPayload(long generation)
    {
        var payload = new byte[GenerationPayloadSize];
        SessionPayload.WriteHeader(payload, SessionFormat.MessagePack, null, null, principal: null);
        payload[SessionPayload.HeaderSize] = MessagePackInt64;
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(SessionPayload.HeaderSize + 1), generation);
        return payload;
    }

    /// <summary>The generation in an opened generation record's payload; false for anything else (a planted session, say).</summary>
    public static bool TryReadGeneration(ReadOnlySpan<byte> payload, out long generation)
    {
        generation = 0;
        if (payload.Length != GenerationPayloadSize || payload[SessionPayload.HeaderSize] != MessagePackInt64) return false;
        generation = BinaryPrimitives.ReadInt64BigEndian(payload[(SessionPayload.HeaderSize + 1)..]);
        return generation > 0;
    }

    /// <summary>Decodes a 43-character base64url key (the storage-key form of a 32-byte HMAC) back to its bytes.</summary>
    public static byte[] FromBase64Url(string key)
    {
        // The length first: the buffer below holds exactly one 43-character key and its padding.
        if (key.Length != 43) throw NotADerivedKey();
        Span<char> chars = stackalloc char[44];
        for (int i = 0; i < key.Length; i++) chars[i] = key[i] switch { '-' => '+', '_' => '/', char c => c };
        chars[key.Length] = '=';
        var bytes = new byte[SessionPayload.PrincipalHashSize];
        if (!Convert.TryFromBase64Chars(chars, bytes, out int written) || written != bytes.Length) throw NotADerivedKey();

        return bytes;
    }

    private static InvalidOperationException NotADerivedKey() => new("A derived key is not 32 bytes of base64url.");
}
