using System;
using System.Linq;
using System.Threading;
using SessionConnector.Caching;
using Xunit;

namespace SessionConnector.Tests.Caching;

public sealed class IdMemoTests
{
    private sealed class KeyEntry(string id, int idHash, string key) : IdMemoEntry(id, idHash)
    {
        public string Key { get; } = key;
    }

    private static KeyEntry Entry(string id) => new(id, IdMemo<KeyEntry>.Hash(id), KeyOf(id));

    private static string KeyOf(string id) => "key:" + id;

    [Fact]
    public void FindsAnAddedIdByValueAndMissesOthers()
    {
        var memo = new IdMemo<KeyEntry>(1024);
        memo.Add(Entry("alpha"));

        string sameText = new string("alpha".AsSpan());
        Assert.True(memo.TryGet(sameText, IdMemo<KeyEntry>.Hash(sameText), out KeyEntry? found));
        Assert.Equal("key:alpha", found.Key);
        Assert.False(memo.TryGet("beta", IdMemo<KeyEntry>.Hash("beta"), out _));
    }

    [Fact]
    public void AnEntryWithTheSameHashButAnotherIdIsNotAnswered()
    {
        var memo = new IdMemo<KeyEntry>(1024);
        // Forged hash: the ID itself is compared, not only the hash.
        memo.Add(new KeyEntry("alpha", IdMemo<KeyEntry>.Hash("beta"), KeyOf("alpha")));
        Assert.False(memo.TryGet("beta", IdMemo<KeyEntry>.Hash("beta"), out _));
    }

    [Fact]
    public void AFullSetForgetsItsOldestEntry()
    {
        // Capacity 2: one set of four entries, so every ID lands in it.
        var memo = new IdMemo<KeyEntry>(2);
        Assert.Equal(IdMemo<KeyEntry>.Ways, memo.Capacity);
        string[] ids = Enumerable.Range(0, IdMemo<KeyEntry>.Ways + 1).Select(i => "id" + i).ToArray();
        foreach (string id in ids) memo.Add(Entry(id));

        Assert.False(memo.TryGet(ids[0], IdMemo<KeyEntry>.Hash(ids[0]), out _));
        foreach (string id in ids.Skip(1)) Assert.True(memo.TryGet(id, IdMemo<KeyEntry>.Hash(id), out _), id);
        memo.Clear();
        Assert.All(ids, id => Assert.False(memo.TryGet(id, IdMemo<KeyEntry>.Hash(id), out _)));
    }

    [Fact]
    public void ANewMemoStartsSmallAndGrowsToItsFullSizeKeepingWhatItHolds()
    {
        // Capacity 4 096: 8 192 entries when full, but a new memo allocates only the initial table.
        var memo = new IdMemo<KeyEntry>(4096);
        Assert.Equal(8192, memo.Capacity);
        Assert.Equal(IdMemo<KeyEntry>.InitialEntries, memo.CurrentSize);

        string[] ids = Enumerable.Range(0, 4000).Select(i => "grow-" + i).ToArray();
        foreach (string id in ids.Take(IdMemo<KeyEntry>.InitialEntries / 4)) memo.Add(Entry(id));
        Assert.Equal(2 * IdMemo<KeyEntry>.InitialEntries, memo.CurrentSize); // a quarter of the table inserted: it doubled
        int kept = ids.Take(IdMemo<KeyEntry>.InitialEntries / 4).Count(id => memo.TryGet(id, IdMemo<KeyEntry>.Hash(id), out _));
        Assert.True(kept > IdMemo<KeyEntry>.InitialEntries / 4 * 9 / 10, $"{kept} carried over"); // entries survive the growth

        foreach (string id in ids.Skip(IdMemo<KeyEntry>.InitialEntries / 4)) memo.Add(Entry(id));
        Assert.Equal(memo.Capacity, memo.CurrentSize); // 1 984 inserts take it to its full size, and no further
        int remembered = ids.Count(id => memo.TryGet(id, IdMemo<KeyEntry>.Hash(id), out KeyEntry? e) && e.Key == KeyOf(id));
        Assert.True(remembered > ids.Length * 9 / 10, $"{remembered} of {ids.Length} remembered");
    }

    [Fact]
    public void IdsThatDifferOnlyInTheirLastCharactersSpreadOverTheSets()
    {
        // 2 048 sets of 4; 2 048 IDs sharing a 40-character prefix. A hash that missed any part of the ID would put them
        // all in a handful of sets, and only 4 per set would be remembered.
        var memo = new IdMemo<KeyEntry>(4096);
        string[] ids = Enumerable.Range(0, 2048).Select(i => new string('a', 40) + i.ToString("D3")).ToArray();
        foreach (string id in ids) memo.Add(Entry(id));

        int remembered = ids.Count(id => memo.TryGet(id, IdMemo<KeyEntry>.Hash(id), out _));
        Assert.True(remembered > ids.Length * 9 / 10, $"{remembered} of {ids.Length} remembered");
    }

    [Fact]
    public void RacingReadersAndInsertersOnlyEverSeeTheRightEntryOfAnId()
    {
        // A small table (4 sets) and more IDs than it holds: every thread both finds entries and shifts sets others read.
        var memo = new IdMemo<KeyEntry>(8);
        string[] ids = Enumerable.Range(0, 64).Select(i => "session-" + i).ToArray();
        int threads = Math.Max(4, Environment.ProcessorCount);
        long hits = 0, wrong = 0;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            start.SignalAndWait();
            for (int i = 0; i < 200_000; i++)
            {
                string id = ids[random.Next(ids.Length)];
                int hash = IdMemo<KeyEntry>.Hash(id);
                if (memo.TryGet(id, hash, out KeyEntry? entry))
                {
                    Interlocked.Increment(ref hits);
                    if (entry.Id != id || entry.Key != KeyOf(id) || entry.IdHash != hash) Interlocked.Increment(ref wrong);
                }
                else
                {
                    memo.Add(Entry(id));
                }
            }
        })).ToArray();
        foreach (Thread w in workers) w.Start();
        foreach (Thread w in workers) w.Join();

        Assert.Equal(0, wrong);
        Assert.True(hits > 0);
        // Afterwards every ID still present answers with its own key, and no more are present than the table holds.
        int present = ids.Count(id => memo.TryGet(id, IdMemo<KeyEntry>.Hash(id), out KeyEntry? e) && e.Key == KeyOf(id));
        Assert.InRange(present, 1, memo.Capacity);
    }
}
