using System;
using SessionConnector.Tests.Generators;
using Xunit;

namespace SessionConnector.Tests.Interop;

public sealed class SessionSerializerTests
{
    [Fact]
    public void PublicEntryPointsWriteWhatTheGeneratedMembersWrite()
    {
        var value = SessionDataRoundTripTests.Sample();
        Assert.Equal(Codec.ToMessagePack(value), SessionSerializer.ToMessagePack(value));
        Assert.Equal(Codec.ToJson(value), SessionSerializer.ToJson(value));
        Assert.Equal(value.Int32, SessionSerializer.FromMessagePack<AllTypes>(SessionSerializer.ToMessagePack(value)).Int32);
        Assert.Equal(value.Int32, SessionSerializer.FromJson<AllTypes>(SessionSerializer.ToJson(value)).Int32);
    }

    [Fact]
    public void WhenBytesFollowTheValueReadThrowsSessionFormatException()
    {
        var mp = SessionSerializer.ToMessagePack(new Item { Name = "x" });
        var json = SessionSerializer.ToJson(new Item { Name = "x" });
        Assert.Throws<SessionFormatException>(() => SessionSerializer.FromMessagePack<Item>(Concat(mp, new byte[] { 0xc0 })));
        Assert.Throws<SessionFormatException>(() => SessionSerializer.FromJson<Item>(Concat(json, "{}"u8.ToArray())));
        Assert.Equal("x", SessionSerializer.FromJson<Item>(Concat(json, " \n"u8.ToArray())).Name);
    }

    [Fact]
    public void WhenInputIsEmptyReadThrowsSessionFormatException()
    {
        Assert.Throws<SessionFormatException>(() => SessionSerializer.FromMessagePack<Item>(Array.Empty<byte>()));
        Assert.Throws<SessionFormatException>(() => SessionSerializer.FromJson<Item>(Array.Empty<byte>()));
    }

    private static byte[] Concat(byte[] a, byte[] b)
    {
        var result = new byte[a.Length + b.Length];
        a.CopyTo(result, 0);
        b.CopyTo(result, a.Length);
        return result;
    }
}
