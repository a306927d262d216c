using System;
using MessagePack;
using SessionConnector.Tests.Generators;
using Xunit;

namespace SessionConnector.Tests.Interop;

/// <summary>Two members whose names differ only in case: a case-insensitive match would have to guess.</summary>
public enum RoleCase
{
    Admin,
    ADMIN,
    User,
}

/// <summary>A [SessionData] type for the enum whose names clash ignoring case.</summary>
[SessionData]
public partial class RoleHolder
{
    public RoleCase Role { get; set; }
}

/// <summary>
/// What another library wrote must never be read as something else: an enum text names one member, a key appears once
/// per object, a date-and-time text carries its offset (issue 22, item 7). Each case read a different value before.
/// </summary>
public sealed class InteropReaderMeaningTests
{
    [Theory]
    [InlineData("\" Red , Blue\"")] // Enum.TryParse: Red|Blue = 200 = Blue
    [InlineData("\"Red,Green\"")]
    [InlineData("\" Blue\"")]
    [InlineData("\"Blue \"")]
    [InlineData("\"200\"")]
    [InlineData("\"-1\"")]
    [InlineData("\"\"")]
    public void WhenEnumTextIsNotOneMemberNameJsonReadThrows(string text)
    {
        var e = Assert.Throws<SessionFormatException>(() => Codec.FromJson<AllTypes>("{\"Color\":" + text + "}"));
        Assert.Contains("enum", e.Message);
    }

    [Fact]
    public void WhenEnumTextIsNotOneMemberNameMessagePackReadThrows()
    {
        byte[] bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("Color");
            w.Write(" Red , Blue");
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(bytes));
    }

    [Theory]
    [InlineData("\"Blue\"", Color.Blue)]
    [InlineData("\"blue\"", Color.Blue)] // System.Text.Json's camelCase policy
    [InlineData("\"GREEN\"", Color.Green)]
    [InlineData("200", Color.Blue)]
    public void WhenEnumTextNamesOneMemberItIsRead(string text, Color expected) =>
        Assert.Equal(expected, Codec.FromJson<AllTypes>("{\"Color\":" + text + "}").Color);

    [Fact]
    public void WhenEnumTextMatchesTwoMembersOnlyIgnoringCaseReadThrows()
    {
        Assert.Equal(RoleCase.ADMIN, Codec.FromJson<RoleHolder>("{\"Role\":\"ADMIN\"}").Role);
        Assert.Equal(RoleCase.Admin, Codec.FromJson<RoleHolder>("{\"Role\":\"Admin\"}").Role);
        Assert.Equal(RoleCase.User, Codec.FromJson<RoleHolder>("{\"Role\":\"user\"}").Role);
        var e = Assert.Throws<SessionFormatException>(() => Codec.FromJson<RoleHolder>("{\"Role\":\"admin\"}"));
        Assert.Contains("more than one member", e.Message);
    }

    [Theory]
    [InlineData("{\"Int32\":1,\"Int32\":2}")]
    [InlineData("{\"Int32\":1,\"String\":\"a\",\"Int32\":1}")] // even with the same value
    [InlineData("{\"Position\":{\"X\":1,\"X\":2}}")] // in a nested [SessionData] struct
    [InlineData("{\"Map\":{\"k\":1,\"k\":2}}")] // in a Dictionary<string, T>
    public void WhenAKeyAppearsTwiceJsonReadThrows(string json)
    {
        var e = Assert.Throws<SessionFormatException>(() => Codec.FromJson<AllTypes>(json));
        Assert.Contains("twice", e.Message);
    }

    [Fact]
    public void WhenAKeyAppearsTwiceMessagePackReadThrows()
    {
        byte[] member = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("Int32");
            w.Write(1);
            w.Write("Int32");
            w.Write(2);
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(member));

        byte[] dictionary = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("Map");
            w.WriteMapHeader(2);
            w.Write("k");
            w.Write(1);
            w.Write("k");
            w.Write(2);
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(dictionary));
    }

    [Fact]
    public void WhenASessionBagKeyAppearsTwiceReadThrows()
    {
        Assert.Throws<SessionFormatException>(() => Codec.FromJson<SessionBag>("{\"a\":1,\"a\":2}"));
        Assert.Throws<SessionFormatException>(() => Codec.FromJson<SessionBag>("{\"n\":{\"a\":1,\"a\":1}}"));
        byte[] bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("a");
            w.Write(1);
            w.Write("a");
            w.Write(2);
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<SessionBag>(bytes));
        Assert.Equal(2L, Convert.ToInt64(Codec.FromJson<SessionBag>("{\"a\":1,\"b\":2}")["b"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2024-02-29T12:34:56")]
    [InlineData("2024-02-29T12:34:56.789")]
    [InlineData("2024-02-29")]
    public void WhenADateTimeOffsetTextHasNoOffsetReadThrows(string text)
    {
        var e = Assert.Throws<SessionFormatException>(() => Codec.FromJson<AllTypes>("{\"DateTimeOffset\":\"" + text + "\"}"));
        Assert.Contains("no offset", e.Message);

        byte[] bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("DateTimeOffset");
            w.Write(text);
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(bytes));
    }

    [Theory]
    [InlineData("2024-02-29T12:34:56Z", 0)]
    [InlineData("2024-02-29T12:34:56.789+02:00", 120)]
    [InlineData("2024-02-29T12:34:56-05:30", -330)]
    [InlineData("2024-02-29T12:34:56\\u002B01:00", 60)] // escaped '+'
    public void WhenADateTimeOffsetTextHasAnOffsetItIsKept(string text, int minutes)
    {
        DateTimeOffset json = Codec.FromJson<AllTypes>("{\"DateTimeOffset\":\"" + text + "\"}").DateTimeOffset;
        Assert.Equal(TimeSpan.FromMinutes(minutes), json.Offset);
        Assert.Equal(new DateTime(2024, 2, 29, 12, 34, 56), new DateTime(json.DateTime.Ticks - json.DateTime.Ticks % TimeSpan.TicksPerSecond));

        string unescaped = text.Replace("\\u002B", "+", StringComparison.Ordinal);
        byte[] bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("DateTimeOffset");
            w.Write(unescaped);
        });
        Assert.Equal(json, Codec.FromMessagePack<AllTypes>(bytes).DateTimeOffset);
    }

    [Fact]
    public void OurOwnJsonStillRoundTripsEveryOffset()
    {
        var value = new AllTypes { DateTimeOffset = new DateTimeOffset(2024, 2, 29, 12, 34, 56, TimeSpan.FromHours(-7)), Color = Color.Green };
        AllTypes back = Codec.RoundTrip(value, json: true);
        Assert.Equal(value.DateTimeOffset, back.DateTimeOffset);
        Assert.Equal(value.DateTimeOffset.Offset, back.DateTimeOffset.Offset);
        Assert.Equal(Color.Green, back.Color);
    }
}
