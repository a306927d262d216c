using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Records;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.Tests.Records;

public sealed class RecordVersionsTests
{
    // A frozen clock: every guarantee must come from the stripes and the previous version, not from time moving.
    private const long Now = 638_000_000_000_000_000;

    [Fact]
    public void AVersionCarriesItsStripeInTheLowBitsAndExceedsThePrevious()
    {
        for (int stripe = 0; stripe < Stripes.Count; stripe += 37)
        {
            long previous = Now + 5;
            long v = RecordVersions.Next(previous, Now, stripe);
            Assert.Equal(stripe, (int)(v & (Stripes.Count - 1)));
            Assert.True(v > previous);
            Assert.True(RecordVersions.IsPlausible(v));
        }
    }

    [Fact]
    public async Task VersionsAreUniqueAcrossThreadsAndGrowPerStripe()
    {
        const int Threads = 8, PerThread = 20_000;
        // Few stripes, so threads share lines and race their compare-and-swaps, and many, so stripes interleave.
        int[] stripes = [3, 3, 7, Stripes.Count - 1, 3, 7, 0, 0];
        var issued = new List<long>[Threads];
        var tasks = new Task[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int thread = t;
            tasks[t] = Task.Run(() =>
            {
                var mine = new List<long>(PerThread);
                long previous = SessionStorage.Absent + 1;
                for (int i = 0; i < PerThread; i++)
                {
                    // Same previous version and the same clock reading for everyone: the worst case for uniqueness.
                    mine.Add(RecordVersions.Next(previous, Now, i % 3 == 0 ? thread * 131 : stripes[thread]));
                }

                issued[thread] = mine;
            });
        }

        await Task.WhenAll(tasks);
        List<long> all = issued.SelectMany(l => l).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        // Per stripe, as one thread saw them: strictly increasing (a later version of a key outranks an earlier one).
        foreach (List<long> mine in issued)
        {
            foreach (IGrouping<long, long> stripe in mine.GroupBy(v => v & (Stripes.Count - 1)))
            {
                long[] seq = stripe.ToArray();
                for (int i = 1; i < seq.Length; i++) Assert.True(seq[i] > seq[i - 1], $"stripe {stripe.Key}: {seq[i]} after {seq[i - 1]}");
            }
        }
    }

    [Fact]
    public void AKeyCreatedAfreshDoesNotGetTheVersionAnotherProcessIssuesNextOnItsStripe()
    {
        // Guarantee 4: a key created afresh (after a delete or an expiry) must not repeat a version that a slow writer of
        // another process still holds for its predecessor, or that writer's compare-and-set lands on the new record (ABA:
        // the delete undone). Found by MixedPathStressTests in long mode (3 processes, thousands of delete/re-create cycles).
        const int Stripe = 23;
        // This process last wrote the key at `ours`, its stripe's line ahead of the clock, as it runs after fresh keys' random
        // offsets have piled up on it (here at once: one write of a key whose versions are days ahead of the clock).
        long ours = RecordVersions.Next(Now + (1L << 42), Now, Stripe);
        // Another process whose hash puts the key on the same stripe, and whose line there is behind, updates the record:
        // the least version above ours on the stripe. A slow writer there reads it.
        long theirs = ours + Stripes.Count;
        // This process deletes the key and creates it afresh: the random offset is lost under its own line.
        long fresh = RecordVersions.Next(SessionStorage.Absent, Now, Stripe);
        Assert.NotEqual(theirs, fresh);
    }

    [Fact]
    public void FreshKeysOnALineAheadOfTheClockStayRandomAndMoveItOnlyBoundedly()
    {
        const int Stripe = 41, Keys = 10_000;
        const long unit = 1L << 20; // the stripe bits, then the process's tag: 20 bits together
        long previous = RecordVersions.Next(Now + (1L << 40), Now, Stripe); // the line ahead of a frozen clock
        var steps = new List<long>(Keys);
        for (int i = 0; i < Keys; i++)
        {
            long fresh = RecordVersions.Next(SessionStorage.Absent, Now, Stripe);
            Assert.True(fresh > previous + unit, "a fresh key took the line's next value");
            steps.Add(fresh - previous);
            previous = fresh;
        }

        // Random steps, not one deterministic increment, and at most 16 units each, so the line keeps its headroom.
        // (Other tests of this process may write on the stripe meanwhile with the real clock, which moves the line once.)
        Assert.True(steps.Distinct().Count() >= 10);
        Assert.True(steps.Count(s => s <= 16 * unit) >= Keys - 10);
    }

    [Fact]
    public void AnUpdateOfAKeyCreatedAfreshDoesNotGetAVersionAnotherProcessIssuedForItsPredecessor()
    {
        // The same ABA on the update path, the one MixedPathStressTests hit when it made two of three workers hash a key to
        // one stripe (the owner, on another stripe, deleted and re-created it): the new record's first update by this
        // process is its line plus Count, which the other process had already issued for the deleted record.
        const int Stripe = 29;
        long ours = RecordVersions.Next(Now + (1L << 42), Now, Stripe);
        long theirs = ours + Stripes.Count; // the other process's update of the predecessor; a slow writer holds it
        long recreated = Now + (12_345L * Stripes.Count) + 5; // a third process re-creates the key, below this line
        long next = RecordVersions.Next(recreated, Now, Stripe); // this process updates the new record
        Assert.NotEqual(theirs, next);
    }

    [Fact]
    public void ADeletionMarkerFloorFromTheStripeOutranksEveryEarlierVersionOfTheKeyAndIsOutrankedByLaterOnes()
    {
        const int Stripe = 11;
        long write = RecordVersions.Next(Now, Now, Stripe);
        long marker = RecordVersions.Next(RecordVersions.LastIssued(Stripe), Now, Stripe);
        Assert.True(marker > write);
        // Recreated after the delete (previous absent) on a frozen clock: still above the marker.
        long recreated = RecordVersions.Next(SessionStorage.Absent, Now, Stripe);
        Assert.True(recreated > marker);
        Assert.True(RecordVersions.LastIssued(Stripe) >= recreated);
    }

    [Fact]
    public void APlantedVersionAboveMaxCountsAsAbsent()
    {
        long v = RecordVersions.Next(long.MaxValue - 1, Now, 1);
        Assert.True(RecordVersions.IsPlausible(v));
    }
}
