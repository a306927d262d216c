using System;
using SessionConnector.Sealing;
using Xunit;

namespace SessionConnector.Tests.Sealing;

public sealed class SealedCookieFormatTests
{
    [Fact]
    public void Base64UrlRoundTripsEveryLengthAndMatchesTheSessionIdEncoder()
    {
        var random = new Random(25);
        for (int length = 1; length < 70; length++)
        {
            byte[] bytes = new byte[length];
            random.NextBytes(bytes);
            string text = SealedCookieFormat.ToBase64Url(bytes);
            Assert.Equal(global::SessionConnector.Internal.Base64Url.Encode(bytes), text);
            Assert.Equal(bytes, SealedCookieFormat.FromBase64Url(text));
        }
    }

    [Theory]
    [InlineData("AB")]    // 1 byte: the last character's low 4 bits must be 0 ("AA", "AQ", ...)
    [InlineData("AAB")]   // 2 bytes: the low 2 bits must be 0
    [InlineData("AAAA=")]
    [InlineData("AA+A")]
    [InlineData("AA/A")]
    [InlineData("A")]
    [InlineData("")]
    [InlineData("AA AA")]
    public void NonCanonicalOrForeignTextIsRefused(string text) => Assert.Null(SealedCookieFormat.FromBase64Url(text));
}
