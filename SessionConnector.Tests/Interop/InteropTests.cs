using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using MessagePack;
using MessagePack.Resolvers;
using SessionConnector.Tests.Generators;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Interop;

/// <summary>
/// Readers accept what other libraries write for the same values (docs/session-data-format.md), decoding committed
/// fixtures. The .NET fixtures are checked against what the library writes today (set SESSIONCONNECTOR_UPDATE_FIXTURES=1
/// to rewrite them); node's is made by fixtures/make/make-node-fixture.mjs, which also checks node reads our bytes.
/// </summary>
public sealed class InteropTests
{
    private static readonly Guid Uuid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
    private static readonly DateTime When = new(2024, 2, 29, 12, 34, 56, 789, DateTimeKind.Utc);

    private static T Fill<T>(T s) where T : ForeignSample
    {
        s.Guid = Uuid;
        s.GuidText = Uuid;
        s.DateTime = When;
        s.DateTimeOffset = new DateTimeOffset(When.Ticks, TimeSpan.Zero).ToOffset(TimeSpan.FromHours(2));
        s.DecimalText = -12.50m;
        s.DecimalNumber = 12.5m;
        s.Char = 'x';
        s.EnumName = Color.Blue;
        s.EnumNumber = Color.Blue;
        s.Int32 = -42;
        s.String = "h\u00e9llo";
        s.Bytes = new byte[] { 1, 2, 3 };
        s.Tags = new List<string> { "a", "b" };
        s.Map = new Dictionary<string, int> { ["k"] = 1 };
        s.TimeSpan = TimeSpan.FromMinutes(90.5);
        s.DateOnly = new DateOnly(2024, 2, 29);
        s.TimeOnly = new TimeOnly(12, 34, 56, 789);
        return s;
    }

    private static InteropSample Ours() => new()
    {
        Guid = Uuid,
        GuidText = Uuid,
        DateTime = When,
        DateTimeOffset = new DateTimeOffset(When.Ticks, TimeSpan.Zero),
        DecimalText = -12.50m,
        DecimalNumber = 12.5m,
        Char = 'x',
        EnumName = Color.Blue,
        EnumNumber = Color.Blue,
        Int32 = -42,
        String = "h\u00e9llo",
        Bytes = new byte[] { 1, 2, 3 },
        Tags = new List<string> { "a", "b" },
        Map = new Dictionary<string, int> { ["k"] = 1 },
    };

    /// <summary>The committed fixture, after checking it is what <paramref name="writtenToday"/> is (or rewriting it).</summary>
    private static byte[] Fixture(string name, byte[]? writtenToday)
    {
        var path = SourceTree.Path("Interop", "fixtures", name);
        if (writtenToday is not null && Environment.GetEnvironmentVariable("SESSIONCONNECTOR_UPDATE_FIXTURES") == "1")
        {
            File.WriteAllBytes(path, writtenToday);
        }

        Assert.True(File.Exists(path), "Missing fixture " + path);
        var committed = File.ReadAllBytes(path);
        if (writtenToday is not null)
        {
            Assert.Equal(writtenToday, committed);
        }

        return committed;
    }

    /// <summary>The values every writer agrees on; the ones that differ by library are checked by each test.</summary>
    private static void AssertCommon(InteropSample value)
    {
        Assert.Equal(Uuid, value.Guid);
        Assert.Equal(Uuid, value.GuidText);
        Assert.Equal(When, value.DateTime);
        Assert.Equal(DateTimeKind.Utc, value.DateTime.Kind);
        Assert.Equal(-12.50m, value.DecimalText);
        Assert.Equal("-12.50", value.DecimalText.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(12.5m, value.DecimalNumber);
        Assert.Equal('x', value.Char);
        Assert.Equal(Color.Blue, value.EnumName);
        Assert.Equal(Color.Blue, value.EnumNumber);
        Assert.Equal(-42, value.Int32);
        Assert.Equal("h\u00e9llo", value.String);
        Assert.Equal(new byte[] { 1, 2, 3 }, value.Bytes);
        Assert.Equal(new[] { "a", "b" }, value.Tags);
        Assert.Equal(1, value.Map!["k"]);
    }

    private static void AssertForeign(InteropSample value)
    {
        AssertCommon(value);
        var expected = Fill(new ForeignSample());
        Assert.Equal(expected.DateTimeOffset, value.DateTimeOffset);
        Assert.Equal(TimeSpan.FromHours(2), value.DateTimeOffset.Offset);
        Assert.Equal(expected.TimeSpan, value.TimeSpan);
        Assert.Equal(expected.DateOnly, value.DateOnly);
        Assert.Equal(expected.TimeOnly, value.TimeOnly);
    }

    [Fact]
    public void WhenMessagePackCSharpStandardResolverWroteItReadGetsTheSameValues()
    {
        var options = MessagePackSerializerOptions.Standard.WithResolver(StandardResolver.Instance);
        var bytes = Fixture("messagepack-csharp-standard.msgpack", MessagePackSerializer.Serialize(Fill(new StandardSample()), options));
        AssertForeign(SessionSerializer.FromMessagePack<InteropSample>(bytes));
    }

    [Fact]
    public void WhenMessagePackCSharpContractlessResolverWroteItReadGetsTheSameValues()
    {
        var options = MessagePackSerializerOptions.Standard.WithResolver(ContractlessStandardResolver.Instance);
        var bytes = Fixture("messagepack-csharp-contractless.msgpack", MessagePackSerializer.Serialize(Fill(new ForeignSample()), options));
        AssertForeign(SessionSerializer.FromMessagePack<InteropSample>(bytes));
    }

    [Fact]
    public void WhenMessagePackCSharpWroteEnumsAsNamesReadGetsTheMembers()
    {
        var resolver = CompositeResolver.Create(DynamicEnumAsStringResolver.Instance, ContractlessStandardResolver.Instance);
        var options = MessagePackSerializerOptions.Standard.WithResolver(resolver);
        var bytes = Fixture("messagepack-csharp-enum-names.msgpack", MessagePackSerializer.Serialize(Fill(new ForeignSample()), options));
        AssertForeign(SessionSerializer.FromMessagePack<InteropSample>(bytes));
    }

    [Fact]
    public void WhenNodeMsgpackWroteItReadGetsTheSameValues()
    {
        // UUID as RFC 4122 bin and as text, Date as timestamp -1, decimal as text and float, char as text, enum as
        // name and number, plus an unknown member that must be skipped.
        var value = SessionSerializer.FromMessagePack<InteropSample>(Fixture("node-msgpack.msgpack", writtenToday: null));
        AssertCommon(value);
        Assert.Equal(new DateTimeOffset(When), value.DateTimeOffset);
    }

    [Fact]
    public void WhatNodeReadsIsWhatWeWriteToday()
    {
        // make-node-fixture.mjs decodes this file with @msgpack/msgpack and checks the UUID and every value.
        var ours = SessionSerializer.ToMessagePack(Ours());
        Fixture("sessionconnector.msgpack", ours);
        AssertCommon(SessionSerializer.FromMessagePack<InteropSample>(ours));
    }

    [Fact]
    public void WhenSystemTextJsonDefaultsWroteItReadGetsTheSameValues()
    {
        var bytes = Fixture("system-text-json.json", JsonSerializer.SerializeToUtf8Bytes(Fill(new ForeignSample())));
        AssertForeign(SessionSerializer.FromJson<InteropSample>(bytes));
    }

    [Fact]
    public void WhenSystemTextJsonWroteEnumsAsNamesReadGetsTheMembers()
    {
        var options = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };
        var bytes = Fixture("system-text-json-enum-names.json", JsonSerializer.SerializeToUtf8Bytes(Fill(new ForeignSample()), options));
        Assert.Contains("\"blue\""u8.ToArray(), (ReadOnlySpan<byte>)bytes);
        AssertForeign(SessionSerializer.FromJson<InteropSample>(bytes));
    }

    [Fact]
    public void WhenJsonHasDecimalAsStringReadParsesIt()
    {
        var value = SessionSerializer.FromJson<InteropSample>("""{"DecimalText":"-12.50","DecimalNumber":"1e3"}"""u8.ToArray());
        Assert.Equal("-12.50", value.DecimalText.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1000m, value.DecimalNumber);
    }

    [Theory]
    [InlineData("""{"EnumName":"Purple"}""")]
    [InlineData("""{"Char":"xy"}""")]
    [InlineData("""{"Char":""}""")]
    [InlineData("""{"GuidText":"0011"}""")]
    public void WhenAnAlternativeFormIsMalformedReadThrowsSessionFormatException(string json)
        => Assert.Throws<SessionFormatException>(() => SessionSerializer.FromJson<InteropSample>(System.Text.Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void GuidBytesAreRfc4122Order()
    {
        var bytes = SessionSerializer.ToMessagePack(new InteropSample { Guid = Uuid });

        // map header, "Guid" key, then bin8 of 16 bytes: 00 11 22 ... ff, as every other language prints the UUID.
        var expected = new byte[] { 0xc4, 16, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
        Assert.True(bytes.AsSpan().IndexOf(expected) > 0, Convert.ToHexString(bytes));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NegativeZeroDecimalKeepsItsSign(bool json)
    {
        var negativeZero = new decimal(0, 0, 0, isNegative: true, scale: 2);
        var value = new InteropSample { DecimalText = negativeZero };
        var back = json
            ? SessionSerializer.FromJson<InteropSample>(SessionSerializer.ToJson(value))
            : SessionSerializer.FromMessagePack<InteropSample>(SessionSerializer.ToMessagePack(value));
        Assert.True(decimal.IsNegative(back.DecimalText));
        Assert.Equal("0.00", back.DecimalText.ToString(System.Globalization.CultureInfo.InvariantCulture).TrimStart('-'));
    }
}
