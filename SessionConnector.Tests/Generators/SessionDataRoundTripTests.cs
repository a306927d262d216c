using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using MessagePack;
using Xunit;

namespace SessionConnector.Tests.Generators;

/// <summary>Compile-and-run tests: the generated code of the types in SessionDataTypes.cs, in both formats.</summary>
public sealed class SessionDataRoundTripTests
{
    public static TheoryData<bool> Formats => new() { false, true };

    internal static AllTypes Sample() => new()
    {
        Bool = true,
        SByte = -12,
        Byte = 250,
        Int16 = -30000,
        UInt16 = 65000,
        Int32 = int.MinValue,
        UInt32 = uint.MaxValue,
        Int64 = long.MinValue,
        UInt64 = ulong.MaxValue,
        Single = 3.14159f,
        Double = Math.PI,
        Decimal = 1234567.8900m,
        Char = 'ß',
        String = "héllo \"world\" 🎲",
        NullableString = null,
        Color = Color.Blue,
        Flags = BigFlags.High,
        Small = SmallEnum.Negative,
        Guid = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        DateTime = new DateTime(2024, 2, 29, 13, 14, 15, DateTimeKind.Utc).AddTicks(1234567),
        DateTimeOffset = new DateTimeOffset(2023, 7, 1, 8, 30, 0, TimeSpan.FromMinutes(-330)).AddTicks(42),
        TimeSpan = TimeSpan.FromDays(-3.5).Add(TimeSpan.FromTicks(7)),
        DateOnly = new DateOnly(1999, 12, 31),
        TimeOnly = new TimeOnly(23, 59, 58, 999).Add(TimeSpan.FromTicks(3)),
        Bytes = [0, 1, 2, 255],
        NullableInt = 17,
        NullableColor = Color.Green,
        NullableDateTime = null,
        IntArray = [1, -2, 3],
        StringArray = ["a", null, ""],
        StringList = ["x", "y"],
        IntSet = [5, 6, 7],
        Map = new() { ["one"] = 1, ["two"] = 2 },
        SingleItem = new Item { Name = "sword", Count = 1, Tags = ["sharp"] },
        Items = [new Item { Name = "potion", Count = 3 }, new Item { Name = "key", Tags = ["gold", "small"] }],
        ItemArray = [new Item { Name = "arr" }],
        ItemMap = new() { ["slot1"] = new Item { Name = "shield", Count = 2 } },
        NestedLists = [[1, 2], [], [3]],
        Jagged = [[9], []],
        Position = new Point { X = 3, Y = -4 },
        MaybePosition = new Point { X = 1, Y = 2 },
        Complex = new() { ["bag"] = [new Item { Name = "in-bag" }, null] },
        Field = 99,
        @event = 5,
    };

    internal static void AssertItemEqual(Item? expected, Item? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }

        Assert.NotNull(actual);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Tags, actual.Tags);
    }

    internal static void AssertAllTypesEqual(AllTypes e, AllTypes a)
    {
        Assert.Equal(e.Bool, a.Bool);
        Assert.Equal(e.SByte, a.SByte);
        Assert.Equal(e.Byte, a.Byte);
        Assert.Equal(e.Int16, a.Int16);
        Assert.Equal(e.UInt16, a.UInt16);
        Assert.Equal(e.Int32, a.Int32);
        Assert.Equal(e.UInt32, a.UInt32);
        Assert.Equal(e.Int64, a.Int64);
        Assert.Equal(e.UInt64, a.UInt64);
        Assert.Equal(e.Single, a.Single);
        Assert.Equal(e.Double, a.Double);
        Assert.Equal(e.Decimal, a.Decimal);
        Assert.Equal(e.Decimal.Scale, a.Decimal.Scale);
        Assert.Equal(e.Char, a.Char);
        Assert.Equal(e.String, a.String);
        Assert.Equal(e.NullableString, a.NullableString);
        Assert.Equal(e.Color, a.Color);
        Assert.Equal(e.Flags, a.Flags);
        Assert.Equal(e.Small, a.Small);
        Assert.Equal(e.Guid, a.Guid);
        Assert.Equal(e.DateTime, a.DateTime);
        Assert.Equal(e.DateTime.Kind, a.DateTime.Kind);
        Assert.Equal(e.DateTimeOffset, a.DateTimeOffset);
        Assert.Equal(e.DateTimeOffset.Offset, a.DateTimeOffset.Offset);
        Assert.Equal(e.TimeSpan, a.TimeSpan);
        Assert.Equal(e.DateOnly, a.DateOnly);
        Assert.Equal(e.TimeOnly, a.TimeOnly);
        Assert.Equal(e.Bytes, a.Bytes);
        Assert.Equal(e.NullableInt, a.NullableInt);
        Assert.Equal(e.NullableColor, a.NullableColor);
        Assert.Equal(e.NullableDateTime, a.NullableDateTime);
        Assert.Equal(e.IntArray, a.IntArray);
        Assert.Equal(e.StringArray, a.StringArray);
        Assert.Equal(e.StringList, a.StringList);
        Assert.Equal(e.IntSet?.OrderBy(x => x), a.IntSet?.OrderBy(x => x));
        Assert.Equal(e.Map?.OrderBy(p => p.Key), a.Map?.OrderBy(p => p.Key));
        AssertItemEqual(e.SingleItem, a.SingleItem);
        Assert.Equal(e.Items?.Count, a.Items?.Count);
        for (var i = 0; i < (e.Items?.Count ?? 0); i++)
        {
            AssertItemEqual(e.Items![i], a.Items![i]);
        }

        Assert.Equal(e.ItemArray?.Length, a.ItemArray?.Length);
        for (var i = 0; i < (e.ItemArray?.Length ?? 0); i++)
        {
            AssertItemEqual(e.ItemArray![i], a.ItemArray![i]);
        }

        Assert.Equal(e.ItemMap?.Keys.OrderBy(k => k), a.ItemMap?.Keys.OrderBy(k => k));
        foreach (var key in e.ItemMap?.Keys ?? Enumerable.Empty<string>())
        {
            AssertItemEqual(e.ItemMap![key], a.ItemMap![key]);
        }

        Assert.Equal(e.NestedLists, a.NestedLists);
        Assert.Equal(e.Jagged, a.Jagged);
        Assert.Equal(e.Position, a.Position);
        Assert.Equal(e.MaybePosition, a.MaybePosition);
        Assert.Equal(e.Complex?.Keys, a.Complex?.Keys);
        foreach (var key in e.Complex?.Keys ?? Enumerable.Empty<string>())
        {
            Assert.Equal(e.Complex![key].Count, a.Complex![key].Count);
            for (var i = 0; i < e.Complex[key].Count; i++)
            {
                AssertItemEqual(e.Complex[key][i], a.Complex[key][i]);
            }
        }

        Assert.Equal(e.Field, a.Field);
        Assert.Equal(e.@event, a.@event);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenEveryMemberTypeIsSetRoundTripKeepsEveryValue(bool json)
    {
        var original = Sample();
        AssertAllTypesEqual(original, Codec.RoundTrip(original, json));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenValuesAreExtremesRoundTripKeepsThem(bool json)
    {
        var original = new AllTypes
        {
            SByte = sbyte.MinValue,
            Int16 = short.MinValue,
            Int64 = long.MaxValue,
            UInt64 = 0,
            Single = float.NaN,
            Double = double.NegativeInfinity,
            Decimal = decimal.MinValue,
            Char = '\uD800', // a lone surrogate: why char is a number in JSON
            DateTime = DateTime.MaxValue,
            DateTimeOffset = DateTimeOffset.MinValue,
            TimeSpan = TimeSpan.MinValue,
            DateOnly = DateOnly.MaxValue,
            TimeOnly = TimeOnly.MaxValue,
        };
        var copy = Codec.RoundTrip(original, json);
        AssertAllTypesEqual(original, copy);
        Assert.True(float.IsNaN(copy.Single));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenDateTimeIsLocalOrUnspecifiedKindSurvives(bool json)
    {
        foreach (var kind in new[] { DateTimeKind.Local, DateTimeKind.Unspecified, DateTimeKind.Utc })
        {
            var original = new AllTypes { DateTime = new DateTime(2020, 5, 6, 7, 8, 9, kind) };
            var copy = Codec.RoundTrip(original, json);
            Assert.Equal(kind, copy.DateTime.Kind);
            Assert.Equal(original.DateTime, copy.DateTime);
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenCollectionsAreNullTheyStayNullAndEmptyStayEmpty(bool json)
    {
        var nulls = new AllTypes { Bytes = null, IntArray = null, StringList = null, IntSet = null, Map = null, Items = null, SingleItem = null, Complex = null, NullableInt = null, MaybePosition = null };
        var nullCopy = Codec.RoundTrip(nulls, json);
        Assert.Null(nullCopy.Bytes);
        Assert.Null(nullCopy.IntArray);
        Assert.Null(nullCopy.StringList);
        Assert.Null(nullCopy.IntSet);
        Assert.Null(nullCopy.Map);
        Assert.Null(nullCopy.Items);
        Assert.Null(nullCopy.SingleItem);
        Assert.Null(nullCopy.Complex);
        Assert.Null(nullCopy.NullableInt);
        Assert.Null(nullCopy.MaybePosition);

        var empties = new AllTypes { Bytes = [], IntArray = [], StringList = [], IntSet = [], Map = [], Items = [], Complex = new() { ["e"] = [] }, String = "" };
        var emptyCopy = Codec.RoundTrip(empties, json);
        Assert.Empty(emptyCopy.Bytes!);
        Assert.Empty(emptyCopy.IntArray!);
        Assert.Empty(emptyCopy.StringList!);
        Assert.Empty(emptyCopy.IntSet!);
        Assert.Empty(emptyCopy.Map!);
        Assert.Empty(emptyCopy.Items!);
        Assert.Empty(emptyCopy.Complex!["e"]);
        Assert.Equal("", emptyCopy.String);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenRecordHasPrimaryConstructorRoundTripUsesIt(bool json)
    {
        var original = new Profile("ann", 33, ["a1"]) { Level = 4, Title = "queen" };
        var copy = Codec.RoundTrip(original, json);
        Assert.Equal(original.Name, copy.Name);
        Assert.Equal(original.Age, copy.Age);
        Assert.Equal(original.Aliases, copy.Aliases);
        Assert.Equal(4, copy.Level);
        Assert.Equal("queen", copy.Title);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenRecordStructRoundTripsValueIsEqual(bool json)
    {
        var original = new Money(12.50m, "EUR");
        Assert.Equal(original, Codec.RoundTrip(original, json));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenInitOnlyMembersRoundTripTheyAreSet(bool json)
    {
        var original = new InitOnly { A = -1, B = "changed", C = [9] };
        var copy = Codec.RoundTrip(original, json);
        Assert.Equal(-1, copy.A);
        Assert.Equal("changed", copy.B);
        Assert.Equal([9], copy.C);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenTypeIsRecursiveRoundTripKeepsTheTree(bool json)
    {
        var original = new TreeNode { Value = 1, Children = [new TreeNode { Value = 2 }, new TreeNode { Value = 3, Next = new TreeNode { Value = 4 } }] };
        var copy = Codec.RoundTrip(original, json);
        Assert.Equal(1, copy.Value);
        Assert.Equal([2, 3], copy.Children!.Select(c => c.Value));
        Assert.Equal(4, copy.Children![1].Next!.Value);
        Assert.Null(copy.Children[0].Children);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenMemberIsIgnoredItIsNotStored(bool json)
    {
        var copy = Codec.RoundTrip(new WithIgnored { Kept = 5, Ignored = 6 }, json);
        Assert.Equal(5, copy.Kept);
        Assert.Equal(0, copy.Ignored);
        var text = json ? Encoding.UTF8.GetString(Codec.ToJson(new WithIgnored { Kept = 5, Ignored = 6 })) : "";
        Assert.DoesNotContain("Ignored", text);
        Assert.DoesNotContain("Computed", text);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenTypeIsNestedInPartialTypeItRoundTrips(bool json)
        => Assert.Equal(8, Codec.RoundTrip(new Outer.Inner { X = 8 }, json).X);

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenTopLevelValueIsNullItRoundTripsAsNull(bool json)
        => Assert.Null(Codec.RoundTrip<Item>(null!, json));

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenMembersAreRequiredRoundTripSetsThem(bool json)
    {
        var copy = Codec.RoundTrip(new WithRequired { Name = "n", Count = 4, Other = 9 }, json);
        Assert.Equal("n", copy.Name);
        Assert.Equal(4, copy.Count);
        Assert.Equal(9, copy.Other);

        var partial = Codec.FromJson<WithRequired>("""{"Count":2}""");
        Assert.Null(partial.Name);
        Assert.Equal(2, partial.Count);
        Assert.Equal(3, partial.Other);
        Assert.Equal(0, Codec.Default<WithRequired>().Count);
        Assert.Equal("n", Codec.Clone(new WithRequired { Name = "n", Count = 1 }).Name);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenReadonlyStructHasConstructorRoundTripUsesIt(bool json)
    {
        var copy = Codec.RoundTrip(new Vector(6, "six"), json);
        Assert.Equal(6, copy.X);
        Assert.Equal("six", copy.Label);
    }

    [Fact]
    public void WhenMessagePackInputIsFragmentedAcrossSegmentsReadStillMatchesKeys()
    {
        var original = Sample();
        AssertAllTypesEqual(original, Codec.FromFragmentedMessagePack<AllTypes>(Codec.ToMessagePack(original)));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenTypeHasNoMembersItRoundTripsAsEmptyMap(bool json)
    {
        Assert.NotNull(Codec.RoundTrip(new EmptySession(), json));
        Assert.Equal(new byte[] { 0x80 }, Codec.ToMessagePack(new EmptySession()));
        Assert.NotNull(Codec.FromJson<EmptySession>("""{"extra":[1,{"a":2}]}"""));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void WhenMembersAreInheritedTheyAreStoredToo(bool json)
    {
        var copy = Codec.RoundTrip(new DerivedSession { BaseValue = 4, Own = "o" }, json);
        Assert.Equal(4, copy.BaseValue);
        Assert.Equal("o", copy.Own);
        Assert.Equal("""{"BaseValue":4,"Own":"o"}""", Encoding.UTF8.GetString(Codec.ToJson(new DerivedSession { BaseValue = 4, Own = "o" })));
    }

    [Fact]
    public void MessagePackOutputIsAMapKeyedByMemberNames()
    {
        var bytes = Codec.ToMessagePack(new PlayerSession { PlayerId = 77, Level = 3, Inventory = [new Item { Name = "gem", Count = 2 }] });
        var reader = new MessagePackReader(bytes);
        Assert.Equal(3, reader.ReadMapHeader());
        Assert.Equal("PlayerId", reader.ReadString());
        Assert.Equal(77, reader.ReadInt64());
        Assert.Equal("Level", reader.ReadString());
        Assert.Equal(3, reader.ReadInt32());
        Assert.Equal("Inventory", reader.ReadString());
        Assert.Equal(1, reader.ReadArrayHeader());
        Assert.Equal(3, reader.ReadMapHeader());
        Assert.Equal("Name", reader.ReadString());
        Assert.Equal("gem", reader.ReadString());
        Assert.Equal("Count", reader.ReadString());
        Assert.Equal(2, reader.ReadInt32());
        Assert.Equal("Tags", reader.ReadString());
        Assert.Equal(0, reader.ReadArrayHeader());
        Assert.True(reader.End);
    }

    [Fact]
    public void MessagePackOutputForAllTypesHasOneKeyPerStoredMember()
    {
        var reader = new MessagePackReader(Codec.ToMessagePack(Sample()));
        var count = reader.ReadMapHeader();
        var keys = new List<string>();
        for (var i = 0; i < count; i++)
        {
            keys.Add(reader.ReadString()!);
            reader.Skip();
        }

        Assert.True(reader.End);
        var expected = typeof(AllTypes).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).Append("Field").OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(expected, keys.OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void JsonOutputIsAPlainObjectKeyedByMemberNames()
    {
        var json = Encoding.UTF8.GetString(Codec.ToJson(new PlayerSession { PlayerId = 77, Level = 3, Inventory = [new Item { Name = "gem", Count = 2 }] }));
        Assert.Equal("""{"PlayerId":77,"Level":3,"Inventory":[{"Name":"gem","Count":2,"Tags":[]}]}""", json);
    }

    [Fact]
    public void CreateDefaultRunsInitializersAndConstructorDefaults()
    {
        Assert.Empty(Codec.Default<PlayerSession>().Inventory);
        var init = Codec.Default<InitOnly>();
        Assert.Equal(42, init.A);
        Assert.Equal("b", init.B);
        var profile = Codec.Default<Profile>();
        Assert.Null(profile.Aliases);
        Assert.Equal(0, profile.Age);
        Assert.Equal("none", profile.Title);
        Assert.Equal(default, Codec.Default<Money>());
    }
}
