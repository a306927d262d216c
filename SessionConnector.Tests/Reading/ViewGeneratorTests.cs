using System;
using System.Collections;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using SessionConnector.Tests.Generators;
using Xunit;

namespace SessionConnector.Tests.Reading;

/// <summary>
/// The generated View: its text (Baselines/*.txt here; SESSIONCONNECTOR_UPDATE_BASELINES=1 rewrites them), that code
/// mutating a session through a view does not compile, and that no view member exposes a settable or mutable thing.
/// </summary>
public sealed class ViewGeneratorTests
{
    private const string Source = """
        using System;
        using System.Collections.Generic;
        using SessionConnector;

        namespace Game;

        [SessionData]
        public partial class Player
        {
            public long Id { get; set; }
            public string? Name { get; set; }
            public int? Rank { get; set; }
            public byte[]? Avatar { get; set; }
            public int[] Scores { get; set; } = [];
            public List<string> Tags { get; set; } = [];
            public HashSet<string> Badges { get; set; } = [];
            public Dictionary<string, int> Stats { get; set; } = [];
            public Item Main { get; set; } = new();
            public Item? Offhand { get; set; }
            public List<Item> Bag { get; set; } = [];
            public Dictionary<string, List<Item>> Stashes { get; set; } = [];
            public List<List<int>> Grid { get; set; } = [];
            public Point Home { get; set; }
            public Point? Spawn { get; set; }
            public HashSet<Item> Odd { get; set; } = [];
            public SessionBag? Extra { get; set; }
        }

        [SessionData]
        public partial class Item
        {
            public int Count { get; set; }
        }

        [SessionData]
        public partial struct Point
        {
            public int X { get; set; }
        }
        """;

    [Fact]
    public void WhenTypeHasEveryMemberKindViewMatchesBaseline() =>
        SessionDataGeneratorOutputTests.AssertMatchesBaseline(Source, "Game.Player.View.g.cs", "Player.View.txt", "Reading");

    [Fact]
    public void WhenStructIsNestedInPartialTypeViewMatchesBaseline() =>
        SessionDataGeneratorOutputTests.AssertMatchesBaseline("""
            using SessionConnector;

            public static partial class Shapes
            {
                [SessionData]
                public partial struct Point
                {
                    public int X;
                    public double? Y;
                }
            }
            """, "Shapes.Point.View.g.cs", "Point.View.txt", "Reading");

    [Theory]
    [InlineData("v.Name = \"x\";", "CS0200")]
    [InlineData("v.Id++;", "CS0200")]
    [InlineData("v.Tags[0] = \"x\";", "CS8331")]
    [InlineData("v.Tags.Add(\"x\");", "CS1061")]
    [InlineData("var list = (List<string>)v.Tags;", "CS0030")]
    [InlineData("v.Scores[0] = 1;", "CS8331")]
    [InlineData("v.Avatar[0] = 1;", "CS8331")]
    [InlineData("v.Stats[\"hp\"] = 1;", "CS0200")]
    [InlineData("var d = (Dictionary<string, int>)v.Stats;", "CS0030")]
    [InlineData("v.Badges.Add(\"x\");", "CS1061")]
    [InlineData("var set = (HashSet<string>)v.Badges;", "CS0030")]
    [InlineData("v.Main.Count = 1;", "CS0200")]
    [InlineData("var item = (Item)v.Main;", "CS0030")]
    [InlineData("v.Bag[0].Count = 1;", "CS0200")]
    [InlineData("var bag = (List<Item>)v.Bag;", "CS0030")]
    [InlineData("v.Stashes[\"a\"][0].Count = 1;", "CS0200")]
    [InlineData("v.Grid[0][0] = 1;", "CS0200")]
    [InlineData("v.Home.X = 1;", "CS0200")]
    [InlineData("v.Extra!.Set(\"k\", 1);", "CS1061")]
    public void WhenCodeMutatesThroughAViewItDoesNotCompile(string statement, string expectedError)
    {
        var attempt = $$"""
            using System.Collections.Generic;
            using Game;

            internal static class Attempt
            {
                public static void Run(Player.View v)
                {
                    {{statement}}
                }
            }
            """;
        var (result, diagnostics) = GeneratorDriverHelper.Run(Source, attempt);

        Assert.Empty(result.Diagnostics);
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count > 0 && errors.All(e => e.Id == expectedError && e.Location.SourceTree!.FilePath == "Source1.cs"),
            $"expected only {expectedError} in the attempt, got: " + string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void WhenCodeOnlyReadsThroughAViewItCompiles()
    {
        const string reads = """
            using Game;

            internal static class Attempt
            {
                public static long Run(Player.View v)
                {
                    long sum = v.Id + v.Scores[0] + v.Stats["hp"] + v.Main.Count + v.Bag[0].Count + v.Stashes["a"][0].Count + v.Grid[0][0] + v.Home.X;
                    foreach (var item in v.Bag) sum += item.Count;
                    foreach (var pair in v.Stats) sum += pair.Value;
                    foreach (var badge in v.Badges) sum += badge.Length;
                    return sum + (v.Offhand?.Count ?? 0) + (v.Spawn?.X ?? 0) + v.Tags.Length + v.Avatar.Length + (v.Rank ?? 0) + (v.Name?.Length ?? 0);
                }
            }
            """;
        var (_, diagnostics) = GeneratorDriverHelper.Run(Source, reads);
        Assert.True(diagnostics.IsEmpty, string.Join(Environment.NewLine, diagnostics));
    }

    [Fact]
    public void WhenMemberTypeHasNoViewItIsLeftOutAndNamed()
    {
        var generated = GeneratorDriverHelper.GenerateClean(Source)["Game.Player.View.g.cs"];
        Assert.Contains("// Odd: its type has no read-only view", generated);
        Assert.Contains("// Extra: its type has no read-only view", generated);
        Assert.DoesNotContain(" Odd =>", generated);
        Assert.DoesNotContain(" Extra =>", generated);
    }

    /// <summary>The compiled views of the test types: nothing settable, no field, no mutable type reachable.</summary>
    [Theory]
    [InlineData(typeof(ViewPlayer.View))]
    [InlineData(typeof(ViewItem.View))]
    [InlineData(typeof(ViewPos.View))]
    public void WhenViewIsCompiledItExposesNothingMutable(Type view)
    {
        Assert.True(view.IsValueType);
        Assert.True(view.IsDefined(typeof(System.Runtime.CompilerServices.IsReadOnlyAttribute)), "a readonly struct");
        Assert.Empty(view.GetFields(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static));
        Assert.Empty(view.GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        foreach (PropertyInfo property in view.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Assert.Null(property.SetMethod);
            AssertReadOnlyType(property.PropertyType, property.Name);
        }
    }

    private static void AssertReadOnlyType(Type type, string member)
    {
        Type t = Nullable.GetUnderlyingType(type) ?? type;
        if (t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(Guid) || t == typeof(DateTime) ||
            t == typeof(DateTimeOffset) || t == typeof(TimeSpan) || t == typeof(DateOnly) || t == typeof(TimeOnly))
        {
            return;
        }

        Assert.False(t.IsArray, $"{member}: an array");
        Assert.True(t.IsValueType, $"{member}: {t} is a reference type");
        Assert.False(typeof(IEnumerable).IsAssignableFrom(t), $"{member}: {t} is a boxed-enumerable collection");
        Assert.Empty(t.GetFields(BindingFlags.Public | BindingFlags.Instance));
        bool known = t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ReadOnlySpan<>)
            || t.Namespace == "SessionConnector.Reading"
            || t.Name == "View" && t.DeclaringType?.IsDefined(typeof(SessionDataAttribute)) == true;
        Assert.True(known, $"{member}: {t} is not a span or a view");
        if (t.IsGenericType)
        {
            foreach (Type argument in t.GetGenericArguments().Skip(t.Namespace == "SessionConnector.Reading" && t.GetGenericArguments().Length == 2 ? 1 : 0))
            {
                AssertReadOnlyType(argument, member);
            }
        }
    }
}
