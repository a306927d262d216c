using System;
using SessionConnector.Tests.Generators;
using Xunit;

namespace SessionConnector.Tests.Merging;

/// <summary>
/// The generated merge file: expected text (Baselines/*.txt here; SESSIONCONNECTOR_UPDATE_BASELINES=1 rewrites them)
/// and the SCG020–SCG023 diagnostics for strategies that do not fit a member's type.
/// </summary>
public sealed class MergeGeneratorTests
{
    [Fact]
    public void WhenClassUsesEveryStrategyMergeOutputMatchesBaseline()
    {
        const string source = """
            using System;
            using System.Collections.Generic;
            using SessionConnector;

            namespace Game;

            [SessionData]
            public partial class PlayerSession
            {
                public string? Name { get; set; }
                [SessionMerge(SessionMergeStrategy.Sum)]
                public long Coins { get; set; }
                [SessionMerge(SessionMergeStrategy.Max)]
                public int Level { get; set; }
                [SessionMerge(SessionMergeStrategy.Min)]
                public DateTime FirstSeen { get; set; }
                [SessionMerge(SessionMergeStrategy.LastWriterWins)]
                public string? Theme { get; set; }
                public HashSet<string> Badges { get; set; } = [];
                [SessionMerge(SessionMergeStrategy.Union)]
                public HashSet<int> Visited { get; set; } = [];
                public Dictionary<string, int> Scores { get; set; } = [];
                public List<Item> Inventory { get; set; } = [];
                public Item? Equipped { get; set; }
                public byte[]? Avatar { get; set; }
                public double? Ratio { get; set; }
            }

            [SessionData]
            public partial class Item
            {
                public string Name { get; set; } = "";
            }
            """;
        AssertMatchesBaseline(source, "Game.PlayerSession.Merge.g.cs", "PlayerSession.Merge.txt");
    }

    [Fact]
    public void WhenRecordHasPrimaryConstructorAndInitMembersMergeOutputMatchesBaseline()
    {
        const string source = """
            using SessionConnector;

            public static partial class Shapes
            {
                [SessionData]
                public partial record Card(string Title, [SessionMerge(SessionMergeStrategy.Sum)] int Count)
                {
                    public required string Owner { get; init; }
                    public int Plain;
                }
            }
            """;
        AssertMatchesBaseline(source, "Shapes.Card.Merge.g.cs", "Card.Merge.txt");
    }

    [Theory]
    [InlineData("[SessionMerge(SessionMergeStrategy.Union)] public List<int> X { get; set; } = new();", "SCG020")]
    [InlineData("[SessionMerge(SessionMergeStrategy.Union)] public int X { get; set; }", "SCG020")]
    [InlineData("[SessionMerge(SessionMergeStrategy.Max)] public string X { get; set; } = \"\";", "SCG021")]
    [InlineData("[SessionMerge(SessionMergeStrategy.Min)] public int? X { get; set; }", "SCG021")]
    [InlineData("[SessionMerge(SessionMergeStrategy.Sum)] public DateTime X { get; set; }", "SCG022")]
    [InlineData("[SessionMerge(SessionMergeStrategy.Sum)] public HashSet<int> X { get; set; } = new();", "SCG022")]
    [InlineData("[SessionMerge((SessionMergeStrategy)42)] public int X { get; set; }", "SCG023")]
    public void AStrategyThatDoesNotFitTheMemberTypeIsAnError(string member, string id)
    {
        string source = """
            using System;
            using System.Collections.Generic;
            using SessionConnector;

            [SessionData]
            public partial class Bad
            {
            """ + "\n    " + member + "\n}\n";
        var diagnostics = GeneratorDriverHelper.GeneratorDiagnostics(source);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains("'X'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[SessionMerge(SessionMergeStrategy.Sum)] public decimal X { get; set; }")]
    [InlineData("[SessionMerge(SessionMergeStrategy.Sum)] public TimeSpan X { get; set; }")]
    [InlineData("[SessionMerge(SessionMergeStrategy.Sum)] public byte X { get; set; }")]
    [InlineData("[SessionMerge(SessionMergeStrategy.Max)] public DateTimeOffset X { get; set; }")]
    [InlineData("[SessionMerge(SessionMergeStrategy.Max)] public DayOfWeek X { get; set; }")]
    [InlineData("[SessionMerge(SessionMergeStrategy.Min)] public TimeOnly X { get; set; }")]
    [InlineData("[SessionMerge(SessionMergeStrategy.LastWriterWins)] public List<string> X { get; set; } = new();")]
    public void AStrategyThatFitsGeneratesCodeThatCompiles(string member)
    {
        string source = """
            using System;
            using System.Collections.Generic;
            using SessionConnector;

            [SessionData]
            public partial class Good
            {
            """ + "\n    " + member + "\n}\n";
        var generated = GeneratorDriverHelper.GenerateClean(source);
        Assert.Contains("Good.Merge.g.cs", generated.Keys);
    }

    // The merge baselines live in Merging/Baselines, next to this file.
    private static void AssertMatchesBaseline(string source, string hintName, string baselineName)
        => SessionDataGeneratorOutputTests.AssertMatchesBaseline(source, hintName, baselineName, "Merging");
}
