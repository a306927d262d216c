using System;
using System.Collections.Generic;
using SessionConnector;
using Xunit;

namespace SessionConnector.Testing.Merging;

[SessionData]
public partial class MergeProfile
{
    public string? Name { get; set; }

    public int Level { get; set; }

    [SessionMerge(SessionMergeStrategy.Sum)]
    public long Clicks { get; set; }

    [SessionMerge(SessionMergeStrategy.Max)]
    public int HighScore { get; set; }

    [SessionMerge(SessionMergeStrategy.Min)]
    public DateTimeOffset FirstSeen { get; set; }

    [SessionMerge(SessionMergeStrategy.LastWriterWins)]
    public string? Theme { get; set; }

    public HashSet<string> Tags { get; set; } = new();

    [SessionMerge(SessionMergeStrategy.Union)]
    public HashSet<int> Seen { get; set; } = new();

    public Dictionary<string, int> Scores { get; set; } = new();

    public List<string> History { get; set; } = new();

    public MergeAddress? Address { get; set; }

    public int? Optional { get; set; }

    public double Ratio { get; set; }

    public SessionBag? Extra { get; set; }
}

[SessionData]
public partial class MergeAddress
{
    public string? City { get; set; }

    public string? Street { get; set; }
}

[SessionData]
public partial record MergeCard(string Title, int Count)
{
    [SessionMerge(SessionMergeStrategy.Sum)]
    public int Hits { get; init; }
}

[SessionData]
public partial struct MergePoint
{
    public int X;

    public int Y;
}

/// <summary>Eight members for eight concurrent requests, and a shared counter they all increment.</summary>
[SessionData]
public partial class MergeCounters
{
    public int M0 { get; set; }

    public int M1 { get; set; }

    public int M2 { get; set; }

    public int M3 { get; set; }

    public int M4 { get; set; }

    public int M5 { get; set; }

    public int M6 { get; set; }

    public int M7 { get; set; }

    [SessionMerge(SessionMergeStrategy.Sum)]
    public long Total { get; set; }

    public int Get(int member) => member switch
    {
        0 => M0, 1 => M1, 2 => M2, 3 => M3, 4 => M4, 5 => M5, 6 => M6, 7 => M7,
        _ => throw new ArgumentOutOfRangeException(nameof(member)),
    };

    public void Bump(int member)
    {
        switch (member)
        {
            case 0: M0++; break;
            case 1: M1++; break;
            case 2: M2++; break;
            case 3: M3++; break;
            case 4: M4++; break;
            case 5: M5++; break;
            case 6: M6++; break;
            case 7: M7++; break;
            default: throw new ArgumentOutOfRangeException(nameof(member));
        }
    }
}

public static class Merge
{
    public static T Run<T>(T @base, T mine, T theirs, out IReadOnlyList<string> conflicts, SessionConflictResolver? resolver = null)
        where T : ISessionData<T>
    {
        var context = new SessionMergeContext(typeof(T), resolver);
        T merged = T.Merge(@base, mine, theirs, context);
        conflicts = context.Conflicts;
        Assert.Equal(conflicts.Count > 0, context.HasConflicts);
        return merged;
    }

    public static T Clone<T>(T value) where T : ISessionData<T> => T.DeepClone(value);

    public static bool Equal<T>(T left, T right) where T : ISessionData<T> => T.ValueEquals(left, right);
}
