using System;
using System.IO;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Generators;

/// <summary>
/// Expected generated text for representative types. Baselines live in Baselines/*.txt next to this file; set
/// SESSIONCONNECTOR_UPDATE_BASELINES=1 to rewrite them after an intended change, then review the diff.
/// </summary>
public sealed class SessionDataGeneratorOutputTests
{
    [Fact]
    public void WhenClassHasScalarsAndNestedListOutputMatchesBaseline()
    {
        const string source = """
            using System.Collections.Generic;
            using SessionConnector;

            namespace Game;

            [SessionData]
            public partial class PlayerSession
            {
                public long PlayerId { get; set; }
                public string? Name { get; set; }
                [SessionKey("lvl")]
                public int Level { get; set; }
                public List<Item> Inventory { get; set; } = [];
                [SessionIgnore]
                public object? Scratch { get; set; }
            }

            [SessionData]
            public partial class Item
            {
                public string Name { get; set; } = "";
            }
            """;
        AssertMatchesBaseline(source, "Game.PlayerSession.SessionData.g.cs", "PlayerSession.txt");
    }

    [Fact]
    public void WhenRecordHasPrimaryConstructorAndInitMembersOutputMatchesBaseline()
    {
        const string source = """
            using System;
            using System.Collections.Generic;
            using SessionConnector;

            namespace Game;

            [SessionData]
            public partial record Profile(string Name, int Age = 18)
            {
                public Dictionary<string, DateTime>? Seen { get; init; }
                public byte[]? Avatar { get; set; }
            }
            """;
        AssertMatchesBaseline(source, "Game.Profile.SessionData.g.cs", "Profile.txt");
    }

    [Fact]
    public void WhenStructIsNestedInPartialTypeOutputMatchesBaseline()
    {
        const string source = """
            using SessionConnector;

            public static partial class Shapes
            {
                public enum Kind : byte { A, B }

                [SessionData]
                public partial struct Point
                {
                    public int X;
                    public double? Y;
                    public Kind Kind { get; set; }
                }
            }
            """;
        AssertMatchesBaseline(source, "Shapes.Point.SessionData.g.cs", "Point.txt");
    }

    internal static void AssertMatchesBaseline(string source, string hintName, string baselineName, string folder = "Generators")
    {
        var generated = GeneratorDriverHelper.GenerateClean(source);
        Assert.True(generated.ContainsKey(hintName), "Generated: " + string.Join(", ", generated.Keys));
        var actual = generated[hintName];
        var path = SourceTree.Path(folder, "Baselines", baselineName);
        if (Environment.GetEnvironmentVariable("SESSIONCONNECTOR_UPDATE_BASELINES") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), "Missing baseline " + path);
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual.ReplaceLineEndings("\n"));
    }
}
