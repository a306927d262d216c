using System;
using System.Collections.Generic;
using SessionConnector;
using Xunit;

namespace SessionConnector.Tests.Merging;

/// <summary>The generated three-way merge and equality, called directly.</summary>
public sealed class GeneratedMergeTests
{
    private static MergeProfile Base() => new()
    {
        Name = "ann",
        Level = 1,
        Clicks = 10,
        HighScore = 5,
        FirstSeen = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero),
        Theme = "plain",
        Tags = { "a", "b" },
        Seen = { 1, 2 },
        Scores = { ["alice"] = 1, ["bob"] = 2 },
        History = { "start" },
        Address = new MergeAddress { City = "Oslo", Street = "Main" },
    };

    [Fact]
    public void DisjointMemberChangesBothSurvive()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Name = "mine";
        t.Level = 7;
        MergeProfile r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal("mine", r.Name);
        Assert.Equal(7, r.Level);
    }

    [Fact]
    public void SameMemberChangedToDifferentValuesIsAConflictNamingIt()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Level = 2;
        t.Level = 3;
        m.Name = "x";
        Merge.Run(b, m, t, out var conflicts);
        Assert.Equal(["Level"], conflicts);
    }

    [Fact]
    public void SameMemberChangedToEqualValuesIsNoConflict()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Level = 4;
        t.Level = 4;
        m.History.Add("x");
        t.History.Add("x");
        MergeProfile r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal(4, r.Level);
        Assert.Equal(["start", "x"], r.History);
    }

    [Fact]
    public void SetsMergePerElementKeepingAddsAndRemovesOfBothSides()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Tags.Remove("a");
        m.Tags.Add("c");
        t.Tags.Remove("b");
        t.Tags.Add("d");
        MergeProfile r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal(new HashSet<string> { "c", "d" }, r.Tags);
    }

    [Fact]
    public void UnionKeepsAnElementOnlyOneSideRemoved()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Seen.Remove(1);
        t.Seen.Add(3);
        MergeProfile r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal(new HashSet<int> { 1, 2, 3 }, r.Seen);
    }

    [Fact]
    public void DictionariesMergePerKeyAndNameAConflictingKey()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Scores["alice"] = 10;
        m.Scores.Remove("bob");
        m.Scores["dave"] = 4;
        t.Scores["carol"] = 3;
        MergeProfile r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal(new Dictionary<string, int> { ["alice"] = 10, ["carol"] = 3, ["dave"] = 4 }, r.Scores);

        t.Scores["alice"] = 11;
        Merge.Run(b, m, t, out conflicts);
        Assert.Equal(["Scores[alice]"], conflicts);
    }

    [Fact]
    public void NestedTypesMergeMemberByMemberAndNameTheNestedPath()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Address!.City = "Bergen";
        t.Address!.Street = "Side";
        MergeProfile r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal("Bergen", r.Address!.City);
        Assert.Equal("Side", r.Address.Street);

        t.Address.City = "Trondheim";
        Merge.Run(b, m, t, out conflicts);
        Assert.Equal(["Address.City"], conflicts);
    }

    [Fact]
    public void ANestedValueSetToNullOnOneSideMergesAsAWholeValue()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Address = null;
        MergeProfile r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Null(r.Address);

        t.Address!.City = "Bergen";
        Merge.Run(b, m, t, out conflicts);
        Assert.Equal(["Address"], conflicts);
    }

    [Fact]
    public void SumAddsConcurrentIncrements()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Clicks += 3;
        t.Clicks += 5;
        Assert.Equal(18, Merge.Run(b, m, t, out var conflicts).Clicks);
        Assert.Empty(conflicts);
    }

    [Fact]
    public void MaxAndMinPickTheExtremeOfBothChanges()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.HighScore = 9;
        t.HighScore = 7;
        m.FirstSeen = b.FirstSeen.AddDays(1);
        t.FirstSeen = b.FirstSeen.AddDays(-1);
        MergeProfile r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal(9, r.HighScore);
        Assert.Equal(b.FirstSeen.AddDays(-1), r.FirstSeen);

        // A change on one side only is taken as is, even a lower score.
        m = Merge.Clone(b);
        m.HighScore = 1;
        Assert.Equal(1, Merge.Run(b, m, Merge.Clone(b), out _).HighScore);
    }

    [Fact]
    public void LastWriterWinsTakesThisRequestsChangeWithoutAConflict()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Theme = "dark";
        t.Theme = "light";
        Assert.Equal("dark", Merge.Run(b, m, t, out var conflicts).Theme);
        Assert.Empty(conflicts);
        Assert.Equal("light", Merge.Run(b, Merge.Clone(b), t, out _).Theme);
    }

    [Fact]
    public void ListsAreWholeValues()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.History.Add("m");
        t.History.Add("t");
        Merge.Run(b, m, t, out var conflicts);
        Assert.Equal(["History"], conflicts);
    }

    [Fact]
    public void EveryTrueConflictIsNamed()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Name = "m";
        t.Name = "t";
        m.Optional = 1;
        t.Optional = 2;
        m.Extra = new SessionBag { ["k"] = 1L };
        t.Extra = new SessionBag { ["k"] = 2L };
        Merge.Run(b, m, t, out var conflicts);
        Assert.Equal(["Name", "Optional", "Extra"], conflicts);
    }

    [Fact]
    public void AResolverSettlesConflictsPerMember()
    {
        MergeProfile b = Base(), m = Merge.Clone(b), t = Merge.Clone(b);
        m.Level = 2;
        t.Level = 3;
        m.Name = "m";
        t.Name = "t";
        var asked = new List<string>();
        MergeProfile r = Merge.Run(b, m, t, out var conflicts, (type, member) =>
        {
            Assert.Equal(typeof(MergeProfile), type);
            asked.Add(member);
            return member == "Level" ? SessionConflictResolution.KeepMine : SessionConflictResolution.KeepTheirs;
        });
        Assert.Empty(conflicts);
        Assert.Equal(["Name", "Level"], asked);
        Assert.Equal(2, r.Level);
        Assert.Equal("t", r.Name);
    }

    [Fact]
    public void RecordsWithConstructorAndInitMembersMerge()
    {
        var b = new MergeCard("card", 1) { Hits = 10 };
        var m = b with { Title = "mine", Hits = 11 };
        var t = b with { Count = 5, Hits = 12 };
        MergeCard r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal(new MergeCard("mine", 5) { Hits = 13 }, r);
    }

    [Fact]
    public void StructsMerge()
    {
        var b = new MergePoint { X = 1, Y = 1 };
        MergePoint r = Merge.Run(b, new MergePoint { X = 2, Y = 1 }, new MergePoint { X = 1, Y = 3 }, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal(2, r.X);
        Assert.Equal(3, r.Y);
    }

    [Fact]
    public void GeneratedEqualityComparesEveryMember()
    {
        MergeProfile a = Base();
        a.Ratio = double.NaN;
        a.Extra = new SessionBag { ["n"] = 1L, ["list"] = new List<object?> { "x", 2L } };
        MergeProfile b = Merge.Clone(a);
        Assert.True(Merge.Equal(a, b));
        b.Address!.Street = "Other";
        Assert.False(Merge.Equal(a, b));
        b = Merge.Clone(a);
        b.Scores["alice"] = 99;
        Assert.False(Merge.Equal(a, b));
        b = Merge.Clone(a);
        b.Tags.Add("z");
        Assert.False(Merge.Equal(a, b));
        b = Merge.Clone(a);
        ((List<object?>)b.Extra!["list"]!).Add(null);
        Assert.False(Merge.Equal(a, b));
    }

    [Fact]
    public void SessionBagsMergePerKeyAndRecurseIntoNestedBags()
    {
        var b = new SessionBag { ["a"] = 1L, ["b"] = 2L, ["nested"] = new SessionBag { ["x"] = 1L, ["y"] = 1L } };
        SessionBag m = Merge.Clone(b), t = Merge.Clone(b);
        m["a"] = 10L;
        m.Remove("b");
        ((SessionBag)m["nested"]!)["x"] = 5L;
        t["c"] = "new";
        ((SessionBag)t["nested"]!)["y"] = 6L;
        SessionBag r = Merge.Run(b, m, t, out var conflicts);
        Assert.Empty(conflicts);
        Assert.Equal(10L, r["a"]);
        Assert.False(r.ContainsKey("b"));
        Assert.Equal("new", r["c"]);
        Assert.Equal(5L, ((SessionBag)r["nested"]!)["x"]);
        Assert.Equal(6L, ((SessionBag)r["nested"]!)["y"]);

        ((SessionBag)t["nested"]!)["x"] = 7L;
        t["a"] = 11L;
        Merge.Run(b, m, t, out conflicts);
        Assert.Equal(["a", "nested.x"], conflicts);
    }

    [Fact]
    public void AHandWrittenTypeMergesAsAWholeValueByDefault()
    {
        var b = new Counter { Value = 1 };
        var m = new Counter { Value = 2 };
        var t = new Counter { Value = 3 };
        Assert.Equal(2, Merge.Run(b, m, Merge.Clone(b), out var none).Value);
        Assert.Empty(none);
        Assert.Equal(3, Merge.Run(b, Merge.Clone(b), t, out none).Value);
        Merge.Run(b, m, t, out var conflicts);
        Assert.Equal(["(value)"], conflicts);
    }
}
