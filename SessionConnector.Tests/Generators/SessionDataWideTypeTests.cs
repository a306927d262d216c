using MessagePack;
using SessionConnector.Serialization;
using Xunit;

namespace SessionConnector.Tests.Generators;

/// <summary>
/// Types with more members than ReadKey's 64 "already read" bits: the first 64 are checked by the runtime, later ones
/// by a flag of their own; both must refuse a duplicate key and say whether the payload had the member.
/// </summary>
public sealed class SessionDataWideTypeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WideTypesRoundTripOnBothSidesOfTheBits(bool json)
    {
        var value = new WideSession { M0 = 1, M63 = 63, M64 = 64, M65 = 65 };
        var back = Codec.RoundTrip(value, json);
        Assert.Equal((1, 63, 64, 65), (back.M0, back.M63, back.M64, back.M65));

        var init = Codec.RoundTrip(new WideInitSession { M0 = 2, M63 = 3, M64 = 4, M65 = 5 }, json);
        Assert.Equal((2, 3, 4, 5), (init.M0, init.M63, init.M64, init.M65));
    }

    [Theory]
    [InlineData("M0")]
    [InlineData("M63")]
    [InlineData("M64")]
    [InlineData("M65")]
    public void WhenAKeyOfAWideTypeAppearsTwiceReadThrows(string key)
    {
        string json = "{\"" + key + "\":1,\"M1\":2,\"" + key + "\":1}";
        Assert.Contains("twice", Assert.Throws<SessionFormatException>(() => Codec.FromJson<WideSession>(json)).Message);
        Assert.Contains("twice", Assert.Throws<SessionFormatException>(() => Codec.FromJson<WideInitSession>(json)).Message);

        byte[] bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write(key);
            w.Write(1);
            w.Write(key);
            w.Write(1);
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<WideSession>(bytes));
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<WideInitSession>(bytes));
    }

    [Fact]
    public void WhenAWideInitMemberIsMissingItKeepsItsInitializer()
    {
        var missing = Codec.FromJson<WideInitSession>("{\"M64\":7}");
        Assert.Equal((7, -1), (missing.M64, missing.M65));

        var present = Codec.FromJson<WideInitSession>("{\"M65\":8,\"M0\":9}");
        Assert.Equal((9, 0, 8), (present.M0, present.M64, present.M65));
    }
}
