using System;
using System.Text;
using MessagePack;
using Xunit;

namespace SessionConnector.Tests.Generators;

public sealed class SessionDataSchemaEvolutionTests
{
    public static TheoryData<bool> Formats => new() { false, true };

    private static PlayerV1 V1() => new()
    {
        PlayerId = 9,
        Name = "ann",
        Gold = 120,
        Removed = [new Item { Name = "old", Tags = ["deep", "value"] }],
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenReadAsNewerSchemaRenamedKeptAddedDefaultRemovedSkipped(bool json)
    {
        var v2 = json ? Codec.FromJson<PlayerV2>(Codec.ToJson(V1())) : Codec.FromMessagePack<PlayerV2>(Codec.ToMessagePack(V1()));
        Assert.Equal(9, v2.PlayerId);
        Assert.Equal("ann", v2.DisplayName);
        Assert.Equal(120, v2.Gold);
        Assert.Equal(7, v2.Gems); // missing key keeps the initializer's value
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenReadAsOlderSchemaUnknownKeysAreSkipped(bool json)
    {
        var newer = new PlayerV2 { PlayerId = 3, DisplayName = "bo", Gold = 5, Gems = 99 };
        var v1 = json ? Codec.FromJson<PlayerV1>(Codec.ToJson(newer)) : Codec.FromMessagePack<PlayerV1>(Codec.ToMessagePack(newer));
        Assert.Equal(3, v1.PlayerId);
        Assert.Equal("bo", v1.Name);
        Assert.Equal(5, v1.Gold);
        Assert.Null(v1.Removed);
    }

    [Fact]
    public void WhenMessagePackKeysAreReorderedAndUnknownOnesNestedReadStillMatchesByName()
    {
        var bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(5);
            w.Write("Gold");
            w.Write(1);
            w.Write("Extra");
            w.WriteMapHeader(2);
            w.Write("a");
            w.WriteArrayHeader(2);
            w.Write(1);
            w.Write("two");
            w.Write("b");
            w.WriteNil();
            w.Write("Name");
            w.Write("zed");
            w.Write("Binary");
            w.Write(new byte[] { 1, 2, 3 }.AsSpan());
            w.Write("PlayerId");
            w.Write(44L);
        });
        var v2 = Codec.FromMessagePack<PlayerV2>(bytes);
        Assert.Equal(1, v2.Gold);
        Assert.Equal("zed", v2.DisplayName);
        Assert.Equal(44, v2.PlayerId);
        Assert.Equal(7, v2.Gems);
    }

    [Fact]
    public void WhenJsonKeysAreReorderedAndUnknownOnesNestedReadStillMatchesByName()
    {
        var v2 = Codec.FromJson<PlayerV2>("""{"Gold":1,"Extra":{"a":[1,"two",{"x":null}],"b":null},"Name":"zed","PlayerId":44}""");
        Assert.Equal(1, v2.Gold);
        Assert.Equal("zed", v2.DisplayName);
        Assert.Equal(44, v2.PlayerId);
        Assert.Equal(7, v2.Gems);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenPayloadIsEmptyObjectEveryMemberKeepsItsDefault(bool json)
    {
        var profile = json ? Codec.FromJson<Profile>("{}") : Codec.FromMessagePack<Profile>(new byte[] { 0x80 });
        Assert.Null(profile.Aliases);
        Assert.Equal("none", profile.Title);
        var init = json ? Codec.FromJson<InitOnly>("{}") : Codec.FromMessagePack<InitOnly>(new byte[] { 0x80 });
        Assert.Equal(42, init.A);
        Assert.Equal("b", init.B);
        Assert.Equal([1, 2], init.C);
    }

    [Fact]
    public void WhenOnlySomeInitMembersArePresentOthersKeepInitializers()
    {
        var init = Codec.FromJson<InitOnly>("""{"B":"set"}""");
        Assert.Equal(42, init.A);
        Assert.Equal("set", init.B);
    }

    [Fact]
    public void RenamedMemberIsStoredUnderItsSessionKey()
    {
        var json = Encoding.UTF8.GetString(Codec.ToJson(new PlayerV2 { DisplayName = "k" }));
        Assert.Contains("\"Name\":\"k\"", json);
        Assert.DoesNotContain("DisplayName", json);

        var reader = new MessagePackReader(Codec.ToMessagePack(new PlayerV2 { DisplayName = "k" }));
        var count = reader.ReadMapHeader();
        var found = false;
        for (var i = 0; i < count; i++)
        {
            if (reader.ReadString() == "Name")
            {
                found = reader.ReadString() == "k";
            }
            else
            {
                reader.Skip();
            }
        }

        Assert.True(found);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenRecordParameterHasSessionKeyItIsStoredUnderThatKey(bool json)
    {
        var original = new RenamedRecord("ann", 3);
        Assert.Equal(original, Codec.RoundTrip(original, json));
        Assert.Equal("""{"n":"ann","Age":3}""", Encoding.UTF8.GetString(Codec.ToJson(original)));
    }
}
