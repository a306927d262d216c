using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using SessionConnector.Protection;
using Xunit;
using static SessionConnector.Tests.Protection.ProtectionTestData;

namespace SessionConnector.Tests.Protection;

public sealed class SessionProtectorTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(200)]
    [InlineData(4096)]
    [InlineData(65_537)]
    [InlineData(1 << 20)]
    public void ProtectThenUnprotectReturnsThePlaintext(int size)
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        byte[] plaintext = Payload(size);

        byte[] envelope = protector.Protect(SessionId, 1, plaintext);

        Assert.Equal(size + EnvelopeFormat.Overhead, envelope.Length);
        Assert.True(protector.TryUnprotect(SessionId, 1, envelope, out byte[]? decrypted, out bool usedOldKey));
        Assert.Equal(plaintext, decrypted);
        Assert.False(usedOldKey);
        if (size >= 16)
        {
            // The plaintext must not appear in the envelope.
            Assert.False(envelope.AsSpan().IndexOf(plaintext.AsSpan(0, 16)) >= 0);
        }
    }

    [Fact]
    public void EnvelopeHasTheDocumentedHeader()
    {
        using var ring = new SessionKeyRing().AddKey(0x01020304, Secret(1), primary: true);
        using var protector = new SessionProtector(ring);

        byte[] first = protector.Protect(SessionId, 1, Payload(10));
        byte[] second = protector.Protect(SessionId, 1, Payload(10));

        Assert.Equal(0xC5, first[0]);
        Assert.Equal(2, first[1]);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, first[2..6]);
        Assert.Equal(SaltOf(first), SaltOf(second));
        Assert.Equal(new byte[4], first[22..26]);
        Assert.Equal(1UL, CounterOf(first));
        Assert.Equal(2UL, CounterOf(second));
    }

    [Fact]
    public void ProtectingTheSameValueTwiceGivesDifferentCiphertexts()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        byte[] plaintext = Payload(64);

        byte[] a = protector.Protect(SessionId, 1, plaintext);
        byte[] b = protector.Protect(SessionId, 1, plaintext);

        Assert.NotEqual(a[EnvelopeFormat.HeaderSize..], b[EnvelopeFormat.HeaderSize..]);
    }

    [Fact]
    public void EverySingleBitFlipIsRejected()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        byte[] envelope = protector.Protect(SessionId, 1, Payload(16));
        Assert.True(protector.TryUnprotect(SessionId, 1, envelope, out _, out _));

        var accepted = new List<string>();
        for (int position = 0; position < envelope.Length; position++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] tampered = (byte[])envelope.Clone();
                tampered[position] ^= (byte)(1 << bit);
                if (protector.TryUnprotect(SessionId, 1, tampered, out byte[]? plaintext, out _) || plaintext is not null)
                {
                    accepted.Add($"byte {position} bit {bit}");
                }
            }
        }

        Assert.Empty(accepted);
        Assert.Equal(66 * 8, envelope.Length * 8);
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        byte[] envelope = protector.Protect(SessionId, 1, Payload(40));

        for (int length = 0; length < envelope.Length; length++)
        {
            Assert.False(protector.TryUnprotect(SessionId, 1, envelope.AsSpan(0, length), out byte[]? plaintext, out _), $"prefix of {length} bytes");
            Assert.Null(plaintext);
            Assert.False(protector.TryUnprotect(SessionId, 1, envelope.AsSpan(envelope.Length - length), out _, out _), $"suffix of {length} bytes");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(16)]
    [InlineData(1000)]
    public void AppendedOrPrependedBytesAreRejected(int extra)
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        byte[] envelope = protector.Protect(SessionId, 1, Payload(40));

        byte[] appended = envelope.Concat(new byte[extra]).ToArray();
        byte[] prepended = new byte[extra].Concat(envelope).ToArray();

        Assert.False(protector.TryUnprotect(SessionId, 1, appended, out _, out _));
        Assert.False(protector.TryUnprotect(SessionId, 1, prepended, out _, out _));
        Assert.True(protector.TryUnprotect(SessionId, 1, envelope, out _, out _));
    }

    [Theory]
    [InlineData("another-session")]
    [InlineData(SessionId + "x")]
    [InlineData("k3Vq9x_7Yd-0aBcDeFgHiJkLmNoPqRsTuVwXyZ0123")]
    [InlineData("")]
    public void EnvelopeMovedToAnotherSessionIdIsRejected(string otherId)
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        byte[] envelope = protector.Protect(SessionId, 1, Payload(40));

        Assert.False(protector.TryUnprotect(otherId, 1, envelope, out byte[]? plaintext, out _));
        Assert.Null(plaintext);
        Assert.True(protector.TryUnprotect(SessionId, 1, envelope, out _, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)] // version 1 did not bind the record version; its envelopes are refused, not read without that check
    [InlineData(3)]
    [InlineData(255)]
    public void UnknownVersionIsRejectedEvenWhenTheRestIsIntact(byte version)
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        byte[] envelope = protector.Protect(SessionId, 1, Payload(40));

        envelope[EnvelopeFormat.VersionOffset] = version;

        Assert.False(protector.TryUnprotect(SessionId, 1, envelope, out _, out _));
    }

    [Fact]
    public void GarbageIsRejectedWithoutThrowingOrCachingSubkeys()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        protector.Protect(SessionId, 1, Payload(1)); // creates the write epoch
        int cached = protector.CachedEpochCount;
        var random = new Random(42);

        for (int i = 0; i < 500; i++)
        {
            byte[] garbage = new byte[random.Next(0, 200)];
            random.NextBytes(garbage);
            if (garbage.Length > 6 && i % 2 == 0)
            {
                // Valid magic, version and key id, so the subkey derivation and GCM paths run too.
                garbage[0] = EnvelopeFormat.Magic;
                garbage[1] = EnvelopeFormat.Version;
                BinaryPrimitives.WriteUInt32BigEndian(garbage.AsSpan(2), 1);
            }
            Assert.False(protector.TryUnprotect(SessionId, 1, garbage, out byte[]? plaintext, out _));
            Assert.Null(plaintext);
        }

        Assert.Equal(cached, protector.CachedEpochCount);
    }

    [Fact]
    public void InvalidSessionIdsFailClosed()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        byte[] envelope = protector.Protect(SessionId, 1, Payload(4));

        Assert.Throws<ArgumentException>(() => protector.Protect("bad\uD800id", 1, Payload(4)));
        Assert.Throws<ArgumentException>(() => protector.DeriveStorageKey("bad\uD800id"));
        Assert.Throws<ArgumentNullException>(() => protector.Protect(null!, 1, Payload(4)));
        Assert.False(protector.TryUnprotect("bad\uD800id", 1, envelope, out _, out _));
        Assert.False(protector.TryUnprotect(null!, 1, envelope, out _, out _));
    }

    // The associated data is built in a stack buffer sized to the ID (3 UTF-8 bytes per char at most) up to 256 chars,
    // in a rented one beyond: IDs at and next to that limit, in characters that take 2 and 3 bytes, must fill it exactly
    // and still bind the ID and the record version.
    [Theory]
    [InlineData(257, '\u00E9')]
    [InlineData(5000, '\u00E9')]
    [InlineData(1, '\u20AC')]
    [InlineData(43, '\u20AC')]
    [InlineData(255, '\u20AC')]
    [InlineData(256, '\u20AC')]
    [InlineData(257, '\u20AC')]
    public void LongAndNonAsciiSessionIdsRoundTripAndStayBound(int length, char character)
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        string id = new string(character, length);
        string sibling = new string(character, length - 1) + "e";

        byte[] envelope = protector.Protect(id, 1, Payload(30));

        Assert.True(protector.TryUnprotect(id, 1, envelope, out byte[]? plaintext, out _));
        Assert.Equal(Payload(30), plaintext);
        Assert.False(protector.TryUnprotect(sibling, 1, envelope, out _, out _));
        Assert.False(protector.TryUnprotect(id, 2, envelope, out _, out _));
        Assert.NotEqual(protector.DeriveStorageKey(id), protector.DeriveStorageKey(sibling));
    }

    [Fact]
    public void AnotherProtectorOnTheSameRingReadsTheEnvelope()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var writer = new SessionProtector(ring);
        using var reader = new SessionProtector(ring);

        byte[] envelope = writer.Protect(SessionId, 1, Payload(100));
        byte[] own = reader.Protect(SessionId, 1, Payload(100));

        Assert.NotEqual(SaltOf(envelope), SaltOf(own)); // each protector draws its own epoch salt
        Assert.True(reader.TryUnprotect(SessionId, 1, envelope, out byte[]? plaintext, out _));
        Assert.Equal(Payload(100), plaintext);
    }

    [Fact]
    public void AnotherRingCannotReadTheEnvelope()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var otherRing = SessionKeyRing.FromSecret(Secret(2)); // same key id 1, different secret
        using var writer = new SessionProtector(ring);
        using var reader = new SessionProtector(otherRing);

        byte[] envelope = writer.Protect(SessionId, 1, Payload(100));

        Assert.False(reader.TryUnprotect(SessionId, 1, envelope, out _, out _));
    }

    [Fact]
    public void RotationKeepsOldRecordsReadableUntilRevokedAndKeepsStorageKeys()
    {
        using var ring = new SessionKeyRing().AddKey(1, Secret(1));
        using var protector = new SessionProtector(ring);
        string storageKeyBefore = protector.DeriveStorageKey(SessionId);
        byte[] oldRecord = protector.Protect(SessionId, 1, Payload(50));
        Assert.Equal(1u, KeyIdOf(oldRecord));

        ring.AddKey(2, Secret(2), primary: true);

        Assert.True(protector.TryUnprotect(SessionId, 1, oldRecord, out byte[]? oldPlaintext, out bool usedOldKey));
        Assert.Equal(Payload(50), oldPlaintext);
        Assert.True(usedOldKey);
        byte[] rewritten = protector.Protect(SessionId, 1, oldPlaintext);
        Assert.Equal(2u, KeyIdOf(rewritten));
        Assert.NotEqual(SaltOf(oldRecord), SaltOf(rewritten));
        Assert.True(protector.TryUnprotect(SessionId, 1, rewritten, out _, out bool rewrittenUsedOldKey));
        Assert.False(rewrittenUsedOldKey);

        using (var restarted = new SessionProtector(ring))
        {
            Assert.Equal(storageKeyBefore, restarted.DeriveStorageKey(SessionId));
        }
        Assert.Equal(storageKeyBefore, protector.DeriveStorageKey(SessionId));

        ring.Revoke(1);

        Assert.False(protector.TryUnprotect(SessionId, 1, oldRecord, out byte[]? revoked, out _));
        Assert.Null(revoked);
        Assert.True(protector.TryUnprotect(SessionId, 1, rewritten, out _, out _));
        using var afterRevocation = new SessionProtector(ring);
        Assert.Equal(storageKeyBefore, afterRevocation.DeriveStorageKey(SessionId));
        Assert.False(afterRevocation.TryUnprotect(SessionId, 1, oldRecord, out _, out _));
    }

    [Fact]
    public void UnknownKeyIdIsRejected()
    {
        using var writerRing = new SessionKeyRing().AddKey(7, Secret(1));
        using var readerRing = new SessionKeyRing().AddKey(1, Secret(1));
        using var writer = new SessionProtector(writerRing);
        using var reader = new SessionProtector(readerRing);

        Assert.False(reader.TryUnprotect(SessionId, 1, writer.Protect(SessionId, 1, Payload(8)), out _, out _));
    }

    [Fact]
    public void StorageKeyIsAnHmacOfTheIdUnderTheDerivedNamingKey()
    {
        byte[] secret = Secret(3);
        using var ring = SessionKeyRing.FromSecret(secret);
        using var protector = new SessionProtector(ring);
        byte[] namingKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, null, "SessionConnector/v1/storage-name"u8.ToArray());
        byte[] mac = HMACSHA256.HashData(namingKey, Encoding.UTF8.GetBytes(SessionId));
        string expected = Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        string storageKey = protector.DeriveStorageKey(SessionId);

        Assert.Equal(expected, storageKey);
        Assert.Equal(43, storageKey.Length);
        Assert.Equal(storageKey, protector.DeriveStorageKey(SessionId));
        Assert.NotEqual(storageKey, protector.DeriveStorageKey(SessionId + "a"));
    }

    [Fact]
    public void StorageKeyFollowsTheExplicitNamingKey()
    {
        using var ring = new SessionKeyRing().AddKey(1, Secret(1)).AddKey(2, Secret(2), primary: true);
        using var byFirst = new SessionProtector(ring);
        string first = byFirst.DeriveStorageKey(SessionId);
        using var onlySecond = new SessionProtector(SessionKeyRing.FromSecret(Secret(2)));

        ring.NamingKeyId = 2;
        using var bySecond = new SessionProtector(ring);

        Assert.NotEqual(first, bySecond.DeriveStorageKey(SessionId));
        Assert.Equal(onlySecond.DeriveStorageKey(SessionId), bySecond.DeriveStorageKey(SessionId));
    }

    [Fact]
    public void NamingKeyIsDerivedAtTheFirstStorageKeyNotAtConstruction()
    {
        // Construction makes no crypto call, so a web app's connector is built while the crypto library still loads.
        using var ring = SessionKeyRing.FromSecret(Secret(3));
        using var protector = new SessionProtector(ring);

        Assert.False(protector.IsNamingKeyDerived);
        protector.DeriveStorageKey(SessionId);
        Assert.True(protector.IsNamingKeyDerived);
    }

    [Fact]
    public void NamingKeyStaysTheOneOfConstructionWhenTheRingChangesBeforeItsFirstUse()
    {
        using var expected = new SessionProtector(SessionKeyRing.FromSecret(Secret(1)));
        using var ring = new SessionKeyRing().AddKey(1, Secret(1), primary: true).AddKey(2, Secret(2));
        using var protector = new SessionProtector(ring);

        ring.NamingKeyId = 2; // after construction: this protector keeps naming records as it would have at construction

        Assert.Equal(expected.DeriveStorageKey(SessionId), protector.DeriveStorageKey(SessionId));
    }

    [Fact]
    public void NamingKeyIsRightWhenTheRingIsDisposedBeforeItsFirstUse()
    {
        // The secret is copied at construction: a ring zeroed by its owner before the first request must not leave the
        // protector naming records under a key derived from zeroes.
        byte[] secret = Secret(3);
        var ring = SessionKeyRing.FromSecret(secret);
        using var protector = new SessionProtector(ring);
        byte[] namingKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, null, "SessionConnector/v1/storage-name"u8.ToArray());
        string expected = Convert.ToBase64String(HMACSHA256.HashData(namingKey, Encoding.UTF8.GetBytes(SessionId))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        ring.Dispose();

        Assert.Equal(expected, protector.DeriveStorageKey(SessionId));
    }

    [Fact]
    public void ProtectorDisposedBeforeTheFirstStorageKeyRefusesToDeriveIt()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        var protector = new SessionProtector(ring);

        protector.Dispose();

        Assert.Throws<ObjectDisposedException>(() => protector.DeriveStorageKey(SessionId));
        Assert.False(protector.IsNamingKeyDerived);
    }

    [Fact]
    public void EpochRollsOverAfterEpochSizeAndOlderEpochsStillDecrypt()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring, epochSize: 3, epochCacheCapacity: 64);
        var envelopes = new List<byte[]>();
        for (int i = 0; i < 10; i++) envelopes.Add(protector.Protect(SessionId, 1, Payload(20, i)));

        var salts = envelopes.Select(SaltOf).ToList();
        Assert.Equal(4, salts.Distinct().Count());
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(salts[i - i % 3], salts[i]);
            Assert.Equal((ulong)(i % 3 + 1), CounterOf(envelopes[i]));
        }
        using var freshReader = new SessionProtector(ring);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(protector.TryUnprotect(SessionId, 1, envelopes[i], out byte[]? a, out _), $"writer, envelope {i}");
            Assert.Equal(Payload(20, i), a);
            Assert.True(freshReader.TryUnprotect(SessionId, 1, envelopes[i], out byte[]? b, out _), $"reader, envelope {i}");
            Assert.Equal(Payload(20, i), b);
        }
    }

    [Fact]
    public void SubkeyCacheStaysBoundedAndEvictedEpochsStillDecrypt()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring, epochSize: 1, epochCacheCapacity: 2);
        var envelopes = Enumerable.Range(0, 10).Select(i => protector.Protect(SessionId, 1, Payload(5, i))).ToList();

        Assert.Equal(10, envelopes.Select(SaltOf).Distinct().Count());
        Assert.True(protector.CachedEpochCount <= 2, $"cache holds {protector.CachedEpochCount}");
        for (int i = 0; i < 10; i++)
        {
            Assert.True(protector.TryUnprotect(SessionId, 1, envelopes[i], out byte[]? plaintext, out _));
            Assert.Equal(Payload(5, i), plaintext);
        }
        Assert.True(protector.CachedEpochCount <= 2, $"cache holds {protector.CachedEpochCount}");
    }

    [Fact]
    public void DisposedProtectorRefusesToWorkAndFailsClosed()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        var protector = new SessionProtector(ring);
        byte[] envelope = protector.Protect(SessionId, 1, Payload(8));

        protector.Dispose();

        Assert.Throws<ObjectDisposedException>(() => protector.Protect(SessionId, 1, Payload(8)));
        Assert.Throws<ObjectDisposedException>(() => protector.DeriveStorageKey(SessionId));
        Assert.False(protector.TryUnprotect(SessionId, 1, envelope, out _, out _));
        protector.Dispose(); // idempotent
    }

    [Fact]
    public void DisposedRingMakesTheProtectorFailClosed()
    {
        var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        byte[] envelope = protector.Protect(SessionId, 1, Payload(8));

        ring.Dispose();

        Assert.False(protector.TryUnprotect(SessionId, 1, envelope, out _, out _));
    }
}
