using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using SessionConnector;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Merging;

/// <summary>
/// Property tests of the generated merge against a model: random bases and random edits by two requests, where the
/// model applies both edits in turn (which is well defined when they touch disjoint members, or disjoint elements and
/// keys of one set or dictionary).
/// </summary>
public sealed class MergePropertyTests
{
    private static readonly long Iterations = LongMode.Pick(500, 20_000);

    // Seeds for the base, mine and theirs, and which request owns each scalar member.
    private static readonly Gen<(int Base, int Mine, int Theirs, int Owners)> Cases =
        Gen.Select(Gen.Int, Gen.Int, Gen.Int, Gen.Int[0, 255]);

    [Fact]
    public void DisjointChangesNeverLoseAnything()
    {
        Cases.Sample(c =>
        {
            MergeProfile b = RandomBase(new Random(c.Base));
            MergeProfile m = Merge.Clone(b);
            MergeProfile t = Merge.Clone(b);
            Edit(m, new Random(c.Mine), side: 0, c.Owners);
            Edit(t, new Random(c.Theirs), side: 1, c.Owners);

            // The model: mine's edit, then theirs' on top; strategies decide where both touched a member.
            MergeProfile expected = Merge.Clone(b);
            Edit(expected, new Random(c.Mine), side: 0, c.Owners);
            Edit(expected, new Random(c.Theirs), side: 1, c.Owners);
            expected.Clicks = b.Clicks + (m.Clicks - b.Clicks) + (t.Clicks - b.Clicks);
            expected.HighScore = m.HighScore == b.HighScore ? t.HighScore : t.HighScore == b.HighScore ? m.HighScore : Math.Max(m.HighScore, t.HighScore);
            expected.Seen = m.Seen.SetEquals(b.Seen) ? t.Seen : t.Seen.SetEquals(b.Seen) ? m.Seen : new HashSet<int>(m.Seen.Union(t.Seen));

            MergeProfile merged = Merge.Run(b, m, t, out var conflicts);
            Assert.Empty(conflicts);
            Assert.True(Merge.Equal(expected, merged), Describe(expected, merged));
        }, iter: Iterations);
    }

    [Fact]
    public void MergingOnlyMyChangeGivesMine()
    {
        Cases.Sample(c =>
        {
            MergeProfile b = RandomBase(new Random(c.Base));
            MergeProfile x = Merge.Clone(b);
            Edit(x, new Random(c.Mine), side: c.Owners & 1, owners: (c.Owners & 1) == 0 ? 0 : 255);
            MergeProfile merged = Merge.Run(b, x, Merge.Clone(b), out var conflicts);
            Assert.Empty(conflicts);
            Assert.True(Merge.Equal(x, merged), Describe(x, merged));
        }, iter: Iterations);
    }

    [Fact]
    public void MergingOnlyTheirChangeGivesTheirs()
    {
        Cases.Sample(c =>
        {
            MergeProfile b = RandomBase(new Random(c.Base));
            MergeProfile y = Merge.Clone(b);
            Edit(y, new Random(c.Theirs), side: c.Owners & 1, owners: (c.Owners & 1) == 0 ? 0 : 255);
            MergeProfile merged = Merge.Run(b, Merge.Clone(b), y, out var conflicts);
            Assert.Empty(conflicts);
            Assert.True(Merge.Equal(y, merged), Describe(y, merged));
        }, iter: Iterations);
    }

    [Fact]
    public void SumCountersAddUpOverAnyNumberOfConcurrentRequests()
    {
        Gen.Select(Gen.Long[-1_000_000, 1_000_000], Gen.Long[-1000, 1000].Array[1, 12]).Sample((start, deltas) =>
        {
            // Every request loaded the same base; they commit one after another, each merging into the latest.
            var b = new MergeCounters { Total = start };
            MergeCounters current = Merge.Clone(b);
            foreach (long d in deltas)
            {
                MergeCounters mine = Merge.Clone(b);
                mine.Total += d;
                current = Merge.Run(b, mine, current, out var conflicts);
                Assert.Empty(conflicts);
            }

            Assert.Equal(start + deltas.Sum(), current.Total);
        }, iter: Iterations);
    }

    private static MergeProfile RandomBase(Random r)
    {
        var p = new MergeProfile
        {
            Name = r.Next(4) == 0 ? null : "n" + r.Next(100),
            Level = r.Next(100),
            Clicks = r.Next(-100, 100),
            HighScore = r.Next(100),
            Theme = "theme" + r.Next(3),
            Optional = r.Next(2) == 0 ? null : r.Next(10),
            History = Enumerable.Range(0, r.Next(4)).Select(i => "h" + r.Next(10)).ToList(),
            Address = new MergeAddress { City = "c" + r.Next(10), Street = "s" + r.Next(10) },
        };
        for (int i = 0; i < r.Next(6); i++)
        {
            p.Tags.Add((r.Next(2) == 0 ? "m" : "t") + r.Next(10));
            p.Scores[(r.Next(2) == 0 ? "m" : "t") + r.Next(10)] = r.Next(100);
            p.Seen.Add(r.Next(10));
        }

        return p;
    }

    /// <summary>
    /// One request's random edit. <paramref name="side"/> 0 or 1 edits only the scalar members whose bit in
    /// <paramref name="owners"/> equals it, and only set elements and dictionary keys with its own prefix; counters,
    /// maxima and the union set any side may change.
    /// </summary>
    private static void Edit(MergeProfile p, Random r, int side, int owners)
    {
        string prefix = side == 0 ? "m" : "t";
        bool Owns(int member) => ((owners >> member) & 1) == side && r.Next(2) == 0;
        if (Owns(0)) p.Name = r.Next(5) == 0 ? null : prefix + r.Next(100);
        if (Owns(1)) p.Level = r.Next(100);
        if (Owns(2)) p.History = Enumerable.Range(0, r.Next(4)).Select(i => prefix + r.Next(10)).ToList();
        if (Owns(3)) p.Theme = prefix + r.Next(3);
        if (Owns(4)) p.Optional = r.Next(3) == 0 ? null : r.Next(10);
        if (Owns(5)) p.Address!.City = prefix + r.Next(10);
        if (Owns(6)) p.Address!.Street = prefix + r.Next(10);
        if (r.Next(2) == 0) p.Clicks += r.Next(-5, 6);
        if (r.Next(3) == 0) p.HighScore = r.Next(100);
        if (r.Next(3) == 0)
        {
            if (r.Next(2) == 0) p.Seen.Add(r.Next(10));
            else p.Seen.Remove(r.Next(10));
        }

        // Sorted, so the same edit makes the same choices on any copy whatever the other side did to its own elements.
        foreach (string tag in p.Tags.Where(x => x.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList())
        {
            if (r.Next(3) == 0) p.Tags.Remove(tag);
        }

        for (int i = r.Next(3); i > 0; i--) p.Tags.Add(prefix + r.Next(10));
        foreach (string key in p.Scores.Keys.Where(x => x.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList())
        {
            switch (r.Next(3))
            {
                case 0: p.Scores.Remove(key); break;
                case 1: p.Scores[key] = r.Next(100); break;
            }
        }

        for (int i = r.Next(3); i > 0; i--) p.Scores[prefix + r.Next(10)] = r.Next(100);
    }

    private static string Describe(MergeProfile expected, MergeProfile actual) =>
        "expected " + Json(expected) + "\nactual   " + Json(actual);

    private static string Json(MergeProfile p)
    {
        using var stream = new System.IO.MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream)) WriteJson(writer, p);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());

        static void WriteJson<T>(System.Text.Json.Utf8JsonWriter writer, T value) where T : ISessionData<T> => T.WriteJson(writer, value);
    }
}
