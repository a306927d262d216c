using System;
using System.Buffers.Binary;

namespace SessionConnector.Protection;

/// <summary>
/// Layout of envelope version 2 (see docs/envelope-format.md):
/// <c>magic(1) version(1) keyId(4, BE) salt(16) nonce(12) ciphertext(n) tag(16)</c>.
/// Associated data = bytes [0, 22) of the envelope, the record version (8, BE), then the UTF-8 session ID.
/// </summary>
internal static class EnvelopeFormat
{
    public const byte Magic = 0xC5;
    // 2: the record version joined the associated data. Version 1 envelopes (no version bound) are refused: accepting
    // them would keep the header-edit hole open for every record written before the upgrade.
    public const byte Version = 2;

    public const int MagicOffset = 0;
    public const int VersionOffset = 1;
    public const int KeyIdOffset = 2;
    public const int SaltOffset = 6;
    public const int SaltSize = 16;
    public const int NonceOffset = SaltOffset + SaltSize;       // 22
    public const int NonceSize = 12;
    public const int HeaderSize = NonceOffset + NonceSize;      // 34
    public const int TagSize = 16;
    public const int Overhead = HeaderSize + TagSize;           // 50

    /// <summary>The authenticated prefix that is copied into the associated data: magic, version, key id, salt.</summary>
    public const int BoundHeaderSize = NonceOffset;             // 22

    /// <summary>The storage record version, big-endian, follows the bound header in the associated data.</summary>
    public const int RecordVersionSize = 8;

    /// <summary>Associated data before the session ID: bound header and record version.</summary>
    public const int AadPrefixSize = BoundHeaderSize + RecordVersionSize; // 30

    /// <summary>
    /// Session IDs up to this many UTF-16 chars build their associated data on the stack, in a buffer sized to the ID
    /// (prefix + at most 3 UTF-8 bytes per char): the runtime zeroes a stack buffer, so one sized for the longest ID would
    /// cost a 43-character ID five times the zeroing it needs, on every seal and open.
    /// </summary>
    public const int StackIdChars = 256;

    public static void WriteHeader(Span<byte> envelope, uint keyId, ReadOnlySpan<byte> salt, ulong counter)
    {
        envelope[MagicOffset] = Magic;
        envelope[VersionOffset] = Version;
        BinaryPrimitives.WriteUInt32BigEndian(envelope[KeyIdOffset..], keyId);
        salt.CopyTo(envelope.Slice(SaltOffset, SaltSize));
        // Nonce: 4 zero bytes then the 64-bit big-endian epoch counter. Readers treat the 12 bytes as opaque.
        Span<byte> nonce = envelope.Slice(NonceOffset, NonceSize);
        BinaryPrimitives.WriteUInt32BigEndian(nonce, 0);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
    }
}
