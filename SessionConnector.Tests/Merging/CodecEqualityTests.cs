using System;
using System.Collections.Generic;
using SessionConnector;
using SessionConnector.Generated;
using SessionConnector.Serialization;
using Xunit;

namespace SessionConnector.Tests.Merging;

public enum MergeRank : byte
{
    Bronze = 1,
    Silver = 2,
    Gold = 3,
}

/// <summary>Orderings the merge must take from C#'s own operators: an enum's, NaN's, a DateTimeOffset's.</summary>
[SessionData]
public partial class MergeOrderings
{
    [SessionMerge(SessionMergeStrategy.Max)]
    public MergeRank Rank { get; set; }

    [SessionMerge(SessionMergeStrategy.Max)]
    public double Best { get; set; }

    [SessionMerge(SessionMergeStrategy.Min)]
    public DateTimeOffset First { get; set; }

    public Dictionary<string, List<string?>>? Groups { get; set; }
}

/// <summary>
/// <see cref="ISessionCodec{T}.Equal"/>, the one equality merge and <c>ValueEquals</c> use: equal means "would be
/// stored the same", and the Max/Min steps order values as C# does.
/// </summary>
public sealed class CodecEqualityTests
{
    [Fact]
    public void NaNEqualsNaNBecauseItSerializesTheSame()
    {
        Assert.True(SessionCodecs.DoubleCodec.Equal(double.NaN, double.NaN));
        Assert.True(SessionCodecs.SingleCodec.Equal(float.NaN, float.NaN));
        Assert.False(SessionCodecs.DoubleCodec.Equal(0.1, 0.2));
    }

    [Fact]
    public void DateTimeWithAnotherKindIsNotEqual()
    {
        var ticks = new DateTime(2026, 1, 2, 3, 4, 5).Ticks;
        Assert.False(SessionCodecs.DateTimeCodec.Equal(new DateTime(ticks, DateTimeKind.Utc), new DateTime(ticks, DateTimeKind.Local)));
        Assert.True(SessionCodecs.DateTimeCodec.Equal(new DateTime(ticks, DateTimeKind.Utc), new DateTime(ticks, DateTimeKind.Utc)));
    }

    [Fact]
    public void SameInstantWithAnotherOffsetIsNotEqual()
    {
        var utc = new DateTimeOffset(2026, 1, 2, 12, 0, 0, TimeSpan.Zero);
        Assert.False(SessionCodecs.DateTimeOffsetCodec.Equal(utc, utc.ToOffset(TimeSpan.FromHours(2))));
        Assert.True(SessionCodecs.DateTimeOffsetCodec.Equal(utc, utc));
    }

    [Fact]
    public void CollectionsCompareByElementCodecAndNullEqualsOnlyNull()
    {
        Assert.True(SessionCodecs.ListCodec<double, SessionCodecs.DoubleCodec>.Equal([1, double.NaN], [1, double.NaN]));
        Assert.False(SessionCodecs.ListCodec<double, SessionCodecs.DoubleCodec>.Equal([1, 2], [2, 1]));
        Assert.False(SessionCodecs.ListCodec<string, SessionCodecs.StringCodec>.Equal(null!, []));
        Assert.True(SessionCodecs.ListCodec<string, SessionCodecs.StringCodec>.Equal(null!, null!));
        Assert.True(SessionCodecs.DictionaryCodec<int, SessionCodecs.Int32Codec>.Equal(new() { ["a"] = 1, ["b"] = 2 }, new() { ["b"] = 2, ["a"] = 1 }));
        Assert.False(SessionCodecs.DictionaryCodec<int, SessionCodecs.Int32Codec>.Equal(new() { ["a"] = 1 }, new() { ["b"] = 1 }));
        Assert.True(SessionCodecs.HashSetCodec<int, SessionCodecs.Int32Codec>.Equal([3, 1, 2], [1, 2, 3]));
        Assert.True(SessionCodecs.ByteArrayCodec.Equal([1, 2], [1, 2]));
        Assert.False(SessionCodecs.ByteArrayCodec.Equal([1, 2], null!));
        Assert.True(SessionCodecs.NullableCodec<double, SessionCodecs.DoubleCodec>.Equal(null, null));
        Assert.False(SessionCodecs.NullableCodec<double, SessionCodecs.DoubleCodec>.Equal(null, 0));
    }

    [Fact]
    public void EnumComparesItsUnderlyingValue()
    {
        Assert.True(SessionCodecs.EnumCodec<MergeRank, byte, SessionCodecs.ByteCodec>.Equal(MergeRank.Gold, (MergeRank)3));
        Assert.False(SessionCodecs.EnumCodec<MergeRank, byte, SessionCodecs.ByteCodec>.Equal(MergeRank.Gold, MergeRank.Silver));
    }

    [Fact]
    public void MaxOfAnEnumTakesTheHigherMember()
    {
        var b = new MergeOrderings { Rank = MergeRank.Bronze };
        MergeOrderings m = Merge.Clone(b), t = Merge.Clone(b);
        m.Rank = MergeRank.Gold;
        t.Rank = MergeRank.Silver;
        Assert.Equal(MergeRank.Gold, Merge.Run(b, m, t, out var conflicts).Rank);
        Assert.Empty(conflicts);
    }

    [Fact]
    public void MaxWithNaNOnOneSideFollowsTheGreaterThanOperator()
    {
        // C#'s `mine > theirs` is false whenever either is NaN, so theirs is kept; pinned so the step stays exact.
        var b = new MergeOrderings { Best = 1 };
        MergeOrderings m = Merge.Clone(b), t = Merge.Clone(b);
        m.Best = 5;
        t.Best = double.NaN;
        Assert.True(double.IsNaN(Merge.Run(b, m, t, out _).Best));
        m.Best = double.NaN;
        t.Best = 5;
        Assert.Equal(5, Merge.Run(b, m, t, out _).Best);
    }

    [Fact]
    public void MinOfDateTimeOffsetsComparesInstantsNotLocalClocks()
    {
        var b = new MergeOrderings { First = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero) };
        MergeOrderings m = Merge.Clone(b), t = Merge.Clone(b);
        m.First = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.FromHours(5)); // 05:00 UTC
        t.First = new DateTimeOffset(2026, 1, 1, 6, 0, 0, TimeSpan.Zero); // 06:00 UTC
        Assert.Equal(m.First, Merge.Run(b, m, t, out _).First);
        Assert.Equal(TimeSpan.FromHours(5), Merge.Run(b, m, t, out _).First.Offset);
    }

    [Fact]
    public void NestedNullableAnnotationsMergeAndCompare()
    {
        var b = new MergeOrderings { Groups = new() { ["a"] = ["x", null] } };
        MergeOrderings m = Merge.Clone(b), t = Merge.Clone(b);
        Assert.True(Merge.Equal(b, m));
        m.Groups!["a"].Add("y");
        t.Groups!["b"] = [null];
        MergeOrderings r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal(["x", null, "y"], r.Groups!["a"]);
        Assert.Equal([null], r.Groups["b"]);
        Assert.False(Merge.Equal(b, r));
    }
}
