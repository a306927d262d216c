using System;
using System.Linq;
using System.Security.Cryptography;
using SessionConnector.Protection;
using Xunit;
using static SessionConnector.Tests.Protection.ProtectionTestData;

namespace SessionConnector.Tests.Protection;

public sealed class SessionKeyRingTests
{
    private static byte[] Hkdf(byte[] secret) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, null, "SessionConnector/v1/master-key"u8.ToArray());

    [Fact]
    public void ThirtyTwoByteSecretIsUsedAsIs()
    {
        byte[] secret = Secret(1);
        using var ring = SessionKeyRing.FromSecret(secret);

        Assert.Equal(secret, ring.GetKey(1));
    }

    [Theory]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(1000)]
    public void OtherSecretLengthsAreDerivedWithHkdf(int length)
    {
        byte[] secret = Secret(1, length);
        using var ring = SessionKeyRing.FromSecret(secret);

        byte[]? key = ring.GetKey(1);

        Assert.Equal(Hkdf(secret), key);
        Assert.Equal(32, key!.Length);
        Assert.NotEqual(secret.Take(32).ToArray(), key); // no silent truncation
    }

    [Fact]
    public void LongerSecretsSharingAPrefixGiveDifferentKeys()
    {
        byte[] longSecret = Secret(1, 40);
        using var a = SessionKeyRing.FromSecret(longSecret);
        using var b = SessionKeyRing.FromSecret(longSecret.Take(39).ToArray());
        using var c = SessionKeyRing.FromSecret(longSecret.Take(32).ToArray());

        Assert.NotEqual(a.GetKey(1), b.GetKey(1));
        Assert.NotEqual(a.GetKey(1), c.GetKey(1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(31)]
    public void RawSecretsShorterThan32BytesAreRejectedNamingTheKeyId(int length)
    {
        var e = Assert.Throws<ArgumentException>(() => new SessionKeyRing().AddKey(7, Secret(1, length)));
        Assert.Equal("secret", e.ParamName);
        Assert.Contains("Key 7", e.Message);
        Assert.Contains("at least 32", e.Message);
    }

    [Theory]
    [InlineData(0x00, 32)]
    [InlineData(0xFF, 32)]
    [InlineData(0x41, 64)]
    public void AllZeroOrRepeatedByteKeysAreRejectedNamingTheKeyId(byte value, int length)
    {
        byte[] secret = new byte[length];
        Array.Fill(secret, value);

        var e = Assert.Throws<ArgumentException>(() => new SessionKeyRing().AddKey(3, secret));

        Assert.Contains("Key 3 is weak", e.Message);
    }

    [Fact]
    public void AShortRepeatedPatternIsRejected()
    {
        byte[] secret = Enumerable.Range(0, 32).Select(i => (byte)"abcd"[i % 4]).ToArray();
        var e = Assert.Throws<ArgumentException>(() => SessionKeyRing.FromSecret(secret));
        Assert.Contains("Key 1 is weak", e.Message);
    }

    [Fact]
    public void APassphraseIsNotAKeyUnlessDerivedThroughTheNamedKdf()
    {
        const string passphrase = "correct horse battery staple";
        byte[] salt = Secret(9, 16);

        // As raw key material a passphrase is refused (28 bytes, and nothing stretches it silently)...
        Assert.Throws<ArgumentException>(() => SessionKeyRing.FromSecret(System.Text.Encoding.UTF8.GetBytes(passphrase)));

        // ...and goes through PBKDF2-SHA256 only when named as one.
        using var ring = SessionKeyRing.FromPassphrase(passphrase, salt, SessionKeyRing.MinimumPassphraseIterations);
        Assert.Equal(Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, SessionKeyRing.MinimumPassphraseIterations, HashAlgorithmName.SHA256, 32), ring.GetKey(1));
        Assert.Throws<ArgumentException>(() => SessionKeyRing.FromPassphrase("short", salt, SessionKeyRing.MinimumPassphraseIterations));
        Assert.Throws<ArgumentException>(() => SessionKeyRing.FromPassphrase(passphrase, salt, 1000));
        Assert.Throws<ArgumentException>(() => SessionKeyRing.FromPassphrase(passphrase, new byte[8], SessionKeyRing.MinimumPassphraseIterations));
    }

    [Fact]
    public void ParseRejectsAWeakKeyNamingItsId()
    {
        string good = Convert.ToBase64String(Secret(1)), zero = Convert.ToBase64String(new byte[32]);

        var e = Assert.Throws<FormatException>(() => SessionKeyRing.Parse($"1:{good},*2:{zero}"));

        Assert.Contains("Key 2", e.Message);
    }

    [Fact]
    public void AMalformedKeyVariableIsReportedByName()
    {
        string name = "SESSIONCONNECTOR_KEYS_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "4:" + Convert.ToBase64String(Secret(1, 20)));
        try
        {
            var e = Assert.Throws<FormatException>(() => SessionKeyRing.FromEnvironment(name));
            Assert.Contains(name, e.Message);
            Assert.Contains("Key 4", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void FirstKeyIsPrimaryAndNamingUntilToldOtherwise()
    {
        using var ring = new SessionKeyRing().AddKey(5, Secret(5)).AddKey(6, Secret(6));

        Assert.Equal(5u, ring.PrimaryKeyId);
        Assert.Equal(5u, ring.NamingKeyId);

        ring.AddKey(7, Secret(7), primary: true);
        Assert.Equal(7u, ring.PrimaryKeyId);
        ring.SetPrimary(6);
        Assert.Equal(6u, ring.PrimaryKeyId);
        Assert.Equal(5u, ring.NamingKeyId);
        Assert.Equal(3, ring.ActiveKeyCount);
    }

    [Fact]
    public void RevokedKeysNoLongerDecryptButStillName()
    {
        using var ring = new SessionKeyRing().AddKey(1, Secret(1)).AddKey(2, Secret(2), primary: true);

        ring.Revoke(1);

        Assert.Null(ring.GetKey(1));
        Assert.NotNull(ring.GetKey(2));
        Assert.Equal(Secret(1), ring.GetNamingSecret());
        Assert.Equal(1, ring.ActiveKeyCount);
        Assert.Throws<ArgumentException>(() => ring.SetPrimary(1));
    }

    [Fact]
    public void PrimaryCannotBeRevokedAndIdsCannotBeReused()
    {
        using var ring = new SessionKeyRing().AddKey(1, Secret(1)).AddKey(2, Secret(2));

        Assert.Throws<InvalidOperationException>(() => ring.Revoke(1));
        Assert.Throws<ArgumentException>(() => ring.AddKey(2, Secret(3)));
        ring.Revoke(2);
        Assert.Throws<ArgumentException>(() => ring.AddKey(2, Secret(3)));
        ring.Revoke(9);
        Assert.Throws<ArgumentException>(() => ring.AddKey(9, Secret(3)));
        Assert.Throws<ArgumentException>(() => ring.NamingKeyId = 42);
    }

    [Fact]
    public void EmptyRingHasNoPrimary()
    {
        using var ring = new SessionKeyRing();

        Assert.Throws<InvalidOperationException>(() => ring.PrimaryKeyId);
        Assert.Throws<InvalidOperationException>(() => new SessionProtector(ring));
    }

    [Theory]
    [InlineData("/wcPFx8nLzc/R09XX2dvd3+Hj5efp6+3v8fP19/n7/c=")]
    [InlineData("_wcPFx8nLzc_R09XX2dvd3-Hj5efp6-3v8fP19_n7_c")]
    [InlineData("  _wcPFx8nLzc_R09XX2dvd3-Hj5efp6-3v8fP19_n7_c ")]
    public void FromBase64AcceptsStandardAndUrlSafeText(string text)
    {
        using var ring = SessionKeyRing.FromBase64(text);

        Assert.Equal(Convert.FromBase64String("/wcPFx8nLzc/R09XX2dvd3+Hj5efp6+3v8fP19/n7/c="), ring.GetKey(1));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("QUJD")] // valid base64 but 3 bytes
    public void FromBase64RejectsBadText(string text)
    {
        Assert.ThrowsAny<Exception>(() => SessionKeyRing.FromBase64(text));
    }

    [Fact]
    public void ParseReadsPrimaryRevokedAndNamingKeys()
    {
        string k1 = Convert.ToBase64String(Secret(1)), k2 = Convert.ToBase64String(Secret(2)), k3 = Convert.ToBase64String(Secret(3));

        using var ring = SessionKeyRing.Parse($"-1:{k1}, *3:{k3} ,2:{k2}");

        Assert.Equal(3u, ring.PrimaryKeyId);
        Assert.Equal(1u, ring.NamingKeyId);
        Assert.Null(ring.GetKey(1));
        Assert.Equal(Secret(2), ring.GetKey(2));
        Assert.Equal(Secret(3), ring.GetKey(3));
        Assert.Equal(Secret(1), ring.GetNamingSecret());
    }

    [Fact]
    public void ParseTakesTheOnlyActiveKeyAsPrimary()
    {
        string k1 = Convert.ToBase64String(Secret(1)), k2 = Convert.ToBase64String(Secret(2));

        using var single = SessionKeyRing.Parse($"4:{k1}");
        using var withRevoked = SessionKeyRing.Parse($"-1:{k1},2:{k2}");

        Assert.Equal(4u, single.PrimaryKeyId);
        Assert.Equal(2u, withRevoked.PrimaryKeyId);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" , ")]
    [InlineData("1:{0},2:{1}")]          // two keys, no primary
    [InlineData("*1:{0},*2:{1}")]        // two primaries
    [InlineData("x:{0}")]
    [InlineData(":{0}")]
    [InlineData("1{0}")]
    [InlineData("1:{0},1:{1}")]          // duplicate id
    [InlineData("1:%%%%")]
    [InlineData("1:AAAAAAAAAAAAAAAAAAAA")] // 15 bytes
    [InlineData("1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e")] // 30 bytes
    [InlineData("-*1:{0}")]
    public void ParseRejectsMalformedListsWithoutLeakingSecrets(string template)
    {
        string k1 = Convert.ToBase64String(Secret(1)), k2 = Convert.ToBase64String(Secret(2));
        string text = string.Format(template, k1, k2);

        var e = Assert.Throws<FormatException>(() => SessionKeyRing.Parse(text));

        Assert.DoesNotContain(k1, e.Message);
        Assert.DoesNotContain(k2, e.Message);
    }

    [Fact]
    public void FromEnvironmentReadsTheVariableOrReturnsNull()
    {
        string name = "SESSIONCONNECTOR_KEYS_TEST_" + Guid.NewGuid().ToString("N");
        Assert.Null(SessionKeyRing.FromEnvironment(name));
        Environment.SetEnvironmentVariable(name, $"1:{Convert.ToBase64String(Secret(1))},*2:{Convert.ToBase64String(Secret(2))}");
        try
        {
            using SessionKeyRing? ring = SessionKeyRing.FromEnvironment(name);

            Assert.NotNull(ring);
            Assert.Equal(2u, ring.PrimaryKeyId);
            Assert.Equal(Secret(1), ring.GetKey(1));
            Assert.False(ring.IsDevelopmentKey);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void DevelopmentRingsAreFlaggedAndRandom()
    {
        using var a = SessionKeyRing.CreateDevelopment();
        using var b = SessionKeyRing.CreateDevelopment();
        using var pa = new SessionProtector(a);
        using var pb = new SessionProtector(b);

        Assert.True(a.IsDevelopmentKey);
        Assert.False(SessionKeyRing.FromSecret(Secret(1)).IsDevelopmentKey);
        Assert.NotEqual(a.GetKey(1), b.GetKey(1));
        Assert.False(pb.TryUnprotect(SessionId, 1, pa.Protect(SessionId, 1, Payload(8)), out _, out _));
    }

    [Fact]
    public void DisposeZeroesKeyMaterial()
    {
        var ring = new SessionKeyRing().AddKey(1, Secret(1)).AddKey(2, Secret(2, 40));
        byte[] key1 = ring.GetKey(1)!, key2 = ring.GetKey(2)!;
        Assert.Contains(key1, b => b != 0);

        ring.Dispose();

        Assert.All(key1, b => Assert.Equal(0, b));
        Assert.All(key2, b => Assert.Equal(0, b));
        Assert.Null(ring.GetKey(1));
        Assert.Throws<ObjectDisposedException>(() => ring.AddKey(3, Secret(3)));
        ring.Dispose(); // idempotent
    }
}
