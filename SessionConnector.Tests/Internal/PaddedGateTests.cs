using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using Xunit;

namespace SessionConnector.Tests.Internal;

[Collection("Soak")]
public sealed class PaddedGateTests
{
    [Fact]
    public void TryEnterFailsWhileHeldAndSucceedsAfterExit()
    {
        var gate = new PaddedGate();
        Assert.True(gate.TryEnter());
        Assert.False(gate.TryEnter());
        gate.Exit();
        Assert.True(gate.TryEnter());
        gate.Exit();
    }

    [Fact]
    public void AGateTakesACacheLinePairSoNeighbouringGatesNeverShareTheStateLine()
    {
        // The padding is the point of the type: were it lost, neighbouring stripes' states would sit on one line again.
        // 128 bytes of fields plus the object header.
        var warm = new PaddedGate();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var gate = new PaddedGate();
        long size = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(gate);
        GC.KeepAlive(warm);
        Assert.True(size >= 128 + 16, $"a gate took {size} bytes");
    }

    [Fact]
    public async Task AsyncWaitersEnterInArrivalOrderAndNewcomersDoNotBargePastThem()
    {
        var gate = new PaddedGate();
        Assert.True(gate.TryEnter());
        var order = new List<int>();
        var waiters = new List<Task>();
        for (int i = 0; i < 5; i++)
        {
            int n = i;
            // Registered synchronously: each waiter is queued before the next one arrives.
            ValueTask entered = gate.EnterAsync(async: true, CancellationToken.None);
            Assert.False(entered.IsCompleted);
            waiters.Add(entered.AsTask().ContinueWith(_ => { lock (order) order.Add(n); }, TaskContinuationOptions.ExecuteSynchronously));
        }

        for (int i = 0; i < 5; i++)
        {
            // Handed over on exit: a newcomer finds the gate held while anyone is queued.
            gate.Exit();
            Assert.False(gate.TryEnter());
            await waiters[i];
        }

        gate.Exit();
        Assert.Equal([0, 1, 2, 3, 4], order);
        Assert.True(gate.TryEnter());
    }

    [Fact]
    public async Task ACancelledWaiterNeverEntersAndDoesNotHoldUpTheNext()
    {
        var gate = new PaddedGate();
        Assert.True(gate.TryEnter());
        using var cts = new CancellationTokenSource();
        Task cancelled = gate.EnterAsync(async: true, cts.Token).AsTask();
        Task next = gate.EnterAsync(async: true, CancellationToken.None).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        gate.Exit();
        await next.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(gate.TryEnter());
        gate.Exit();
        Assert.True(gate.TryEnter());
    }

    [Fact]
    public async Task MutualExclusionHoldsUnderContentionWithCancellations()
    {
        var gate = new PaddedGate();
        int inside = 0, maxInside = 0, entered = 0, cancelled = 0;
        const int Workers = 8, Rounds = 2_000;

        async Task Work(int worker)
        {
            var rng = new Random(worker);
            for (int i = 0; i < Rounds; i++)
            {
                bool async = (worker + i) % 2 == 0;
                // A third of the waits are cancelled early: a cancelled wait must leave the gate as it found it.
                using var cts = new CancellationTokenSource();
                if (rng.Next(3) == 0) cts.CancelAfter(TimeSpan.FromTicks(rng.Next(0, 2_000)));
                try
                {
                    await gate.EnterAsync(async, cts.Token);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                    continue;
                }

                int now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                Interlocked.Increment(ref entered);
                if (rng.Next(4) == 0) await Task.Yield();
                else Thread.SpinWait(rng.Next(50));
                Interlocked.Decrement(ref inside);
                gate.Exit();
            }
        }

        var tasks = new Task[Workers];
        for (int w = 0; w < Workers; w++)
        {
            int worker = w;
            tasks[w] = Task.Run(() => Work(worker));
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1, maxInside);
        Assert.Equal(Workers * Rounds, entered + cancelled);
        Assert.True(entered > Workers * Rounds / 2, $"only {entered} entered");
        // Nobody holds it and nobody is queued: the gate is free, not stuck held by a lost hand-over.
        Assert.True(gate.TryEnter());
        gate.Exit();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
