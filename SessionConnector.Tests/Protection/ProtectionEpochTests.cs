using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector.Protection;
using SessionConnector.Tests.Support;
using Xunit;
using static SessionConnector.Tests.Protection.ProtectionTestData;

namespace SessionConnector.Tests.Protection;

/// <summary>Nonce counters reserved per thread in blocks: unique across threads, epochs and processes, never reused.</summary>
[Collection(ProtectionSoakCollection.Name)]
public sealed class ProtectionEpochTests
{
    [Fact]
    public void CountersAreUniqueAcrossThreadsAndEachThreadsRunGrows()
    {
        const int Threads = 8, PerThread = 10_000;
        using var epoch = ProtectionEpoch.CreateRandom(1, Secret(1));
        var perThread = new long[Threads][];
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            var mine = new long[PerThread];
            for (int i = 0; i < PerThread; i++) mine[i] = epoch.NextCounter();
            perThread[t] = mine;
        });

        long[] all = perThread.SelectMany(c => c).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.True(all.Min() >= 1);
        // Each thread's counters only grow, so a thread never hands out one twice even across its blocks.
        Assert.All(perThread, mine => Assert.True(mine.Zip(mine.Skip(1)).All(p => p.Second > p.First)));
        // Burnt counters are bounded: at most one part-used block per thread (Parallel.For may run bodies on fewer threads).
        Assert.InRange(epoch.IssuedCount - all.Length, 0, (long)Threads * ProtectionEpoch.BlockSize);
    }

    [Fact]
    public void AThreadSwitchingEpochsNeverReusesACounterOfEither()
    {
        using var a = ProtectionEpoch.CreateRandom(1, Secret(1));
        using var b = ProtectionEpoch.CreateRandom(1, Secret(1));
        var fromA = new List<long>();
        var fromB = new List<long>();
        for (int i = 0; i < 500; i++)
        {
            // Alternating burns the rest of each block: wasteful, and still never a counter twice.
            fromA.Add(a.NextCounter());
            fromB.Add(b.NextCounter());
        }

        Assert.Equal(fromA.Count, fromA.Distinct().Count());
        Assert.Equal(fromB.Count, fromB.Distinct().Count());
        Assert.True(fromA.Zip(fromA.Skip(1)).All(p => p.Second > p.First));
    }

    // Processes sharing one master key draw their own epoch salt, so their (salt, nonce) pairs differ even where the
    // counters coincide: checked on real envelopes from three child processes, each sealing on four threads, and this one.
    [Fact]
    public void NoncesNeverRepeatAcrossThreadsAndProcesses()
    {
        const int PerProcess = 4_000;
        var children = Enumerable.Range(0, 3).Select(_ => ChildProcess.StartWorker("seal-nonces", PerProcess.ToString())).ToList();
        var ids = new ConcurrentBag<string>(SealNonces(PerProcess));
        foreach (ChildProcess child in children)
        {
            using (child)
            {
                ChildResult result = child.WaitForSuccess(TimeSpan.FromMinutes(2));
                string[] lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                Assert.Equal(PerProcess, lines.Length);
                foreach (string line in lines) ids.Add(line);
            }
        }

        Assert.Equal(4 * PerProcess, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    /// <summary>Seals <paramref name="count"/> envelopes on four threads with the shared test key; their salt and nonce, hex.</summary>
    internal static IReadOnlyCollection<string> SealNonces(int count)
    {
        using var ring = SessionKeyRing.FromSecret(TestConnectors.Key);
        using var protector = new SessionProtector(ring);
        var ids = new ConcurrentBag<string>();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => ids.Add(NonceIdOf(protector.Protect("session", 1, Payload(16, i)))));
        return ids;
    }
}
