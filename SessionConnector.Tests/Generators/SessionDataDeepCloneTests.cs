using System.Linq;
using Xunit;

namespace SessionConnector.Tests.Generators;

public sealed class SessionDataDeepCloneTests
{
    [Fact]
    public void CloneEqualsOriginal()
    {
        var original = SessionDataRoundTripTests.Sample();
        SessionDataRoundTripTests.AssertAllTypesEqual(original, Codec.Clone(original));
    }

    [Fact]
    public void WhenCloneIsMutatedOriginalIsUnchanged()
    {
        var original = SessionDataRoundTripTests.Sample();
        var clone = Codec.Clone(original);

        Assert.NotSame(original, clone);
        Assert.NotSame(original.Bytes, clone.Bytes);
        Assert.NotSame(original.Items, clone.Items);
        Assert.NotSame(original.Items![0], clone.Items![0]);
        Assert.NotSame(original.Items[0].Tags, clone.Items[0].Tags);

        clone.Int32 = 1;
        clone.Bytes![0] = 42;
        clone.IntArray![0] = 42;
        clone.StringArray![0] = "changed";
        clone.StringList!.Add("z");
        clone.IntSet!.Add(100);
        clone.Map!["three"] = 3;
        clone.SingleItem!.Name = "changed";
        clone.SingleItem.Tags.Add("t");
        clone.Items.Add(new Item());
        clone.Items[0].Count = 1000;
        clone.ItemArray![0].Name = "changed";
        clone.ItemMap!["slot1"].Count = -1;
        clone.NestedLists![0].Add(5);
        clone.Jagged![0][0] = 0;
        clone.Complex!["bag"][0]!.Name = "changed";
        clone.Complex["bag"].Add(null);

        SessionDataRoundTripTests.AssertAllTypesEqual(SessionDataRoundTripTests.Sample(), original);
    }

    [Fact]
    public void WhenRecursiveTreeIsClonedNoNodeIsShared()
    {
        var original = new TreeNode { Value = 1, Children = [new TreeNode { Value = 2, Next = new TreeNode { Value = 3 } }] };
        var clone = Codec.Clone(original);
        clone.Children![0].Next!.Value = 30;
        clone.Children.Add(new TreeNode());
        Assert.Equal(3, original.Children![0].Next!.Value);
        Assert.Single(original.Children);
    }

    [Fact]
    public void WhenRecordIsClonedConstructorAndInitMembersAreCopied()
    {
        var original = new Profile("ann", 30, ["x"]) { Level = 2, Title = "t" };
        var clone = Codec.Clone(original);
        Assert.Equal(original.Name, clone.Name);
        Assert.Equal(2, clone.Level);
        Assert.Equal("t", clone.Title);
        Assert.NotSame(original.Aliases, clone.Aliases);
        clone.Aliases!.Add("y");
        Assert.Equal(["x"], original.Aliases!);
    }

    [Fact]
    public void WhenValueIsNullCloneIsNull()
        => Assert.Null(Codec.Clone<Item>(null!));

    [Fact]
    public void HashSetCloneKeepsComparer()
    {
        var original = new AllTypes { IntSet = new(new[] { 1, 2 }) };
        var clone = Codec.Clone(original);
        Assert.Same(original.IntSet.Comparer, clone.IntSet!.Comparer);
        Assert.Equal(original.IntSet.OrderBy(x => x), clone.IntSet.OrderBy(x => x));
    }
}
