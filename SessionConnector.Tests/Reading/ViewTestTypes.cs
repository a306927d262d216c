using System;
using System.Collections.Generic;

namespace SessionConnector.Tests.Reading;

public enum ViewColor : byte
{
    Red,
    Green,
}

/// <summary>One member of every kind a view maps (docs/reading.md), set to non-default values by <see cref="Sample"/>.</summary>
[SessionData]
public partial class ViewPlayer
{
    public long Id { get; set; }
    public string? Name { get; set; }
    public int? Rank { get; set; }
    public ViewColor Color { get; set; }
    public Guid Key { get; set; }
    public DateTimeOffset Seen { get; set; }
    public byte[]? Avatar { get; set; }
    public int[] Scores { get; set; } = [];
    public List<string> Tags { get; set; } = [];
    public List<int>? Missing { get; set; }
    public HashSet<string> Badges { get; set; } = [];
    public Dictionary<string, int> Stats { get; set; } = [];
    public Dictionary<string, int>? NoStats { get; set; }
    public ViewItem Main { get; set; } = new();
    public ViewItem? Offhand { get; set; }
    public ViewItem? NoOffhand { get; set; }
    public List<ViewItem> Bag { get; set; } = [];
    public Dictionary<string, ViewItem> Slots { get; set; } = [];
    public List<List<int>> Grid { get; set; } = [];
    public Dictionary<string, List<string>> Groups { get; set; } = [];
    public ViewPos Home { get; set; }
    public ViewPos? Spawn { get; set; }
    public SessionBag? Extra { get; set; }

    public static ViewPlayer Sample() => new()
    {
        Id = 42,
        Name = "Ada",
        Rank = 3,
        Color = ViewColor.Green,
        Key = new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"),
        Seen = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(1)),
        Avatar = [1, 2, 3],
        Scores = [10, 20, 30],
        Tags = ["a", "b"],
        Badges = ["gold"],
        Stats = new() { ["hp"] = 100, ["mp"] = 7 },
        Main = new ViewItem { Name = "sword", Count = 1, Mods = ["sharp"] },
        Offhand = new ViewItem { Name = "shield", Count = 2 },
        Bag = [new ViewItem { Name = "potion", Count = 5 }, new ViewItem { Name = "key", Count = 1 }],
        Slots = new() { ["head"] = new ViewItem { Name = "helm", Count = 1 } },
        Grid = [[1, 2], [3]],
        Groups = new() { ["friends"] = ["bob", "eve"] },
        Home = new ViewPos { X = 5, Y = -5 },
        Spawn = new ViewPos { X = 1, Y = 2 },
        Extra = new SessionBag(),
    };
}

[SessionData]
public partial class ViewItem
{
    public string Name { get; set; } = "";
    public int Count { get; set; }
    public List<string> Mods { get; set; } = [];
}

[SessionData]
public partial struct ViewPos
{
    public int X { get; set; }
    public int Y { get; set; }
}
