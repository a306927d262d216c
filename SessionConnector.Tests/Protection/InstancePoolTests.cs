using System;
using System.Collections.Concurrent;
using System.Threading;
using SessionConnector.Protection;
using Xunit;

namespace SessionConnector.Tests.Protection;

public sealed class InstancePoolTests
{
    private sealed class Tracked : IDisposable
    {
        public int InUse;
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void ReturnedInstanceIsReusedWithoutCallingTheFactory()
    {
        int created = 0;
        using var pool = new InstancePool<Tracked>(() => { created++; return new Tracked(); });

        Tracked first = pool.Rent();
        pool.Return(first);
        Tracked second = pool.Rent();

        Assert.Same(first, second);
        Assert.Equal(1, created);
    }

    [Fact]
    public void DisposeDisposesPooledInstancesAndLateReturns()
    {
        var pool = new InstancePool<Tracked>(() => new Tracked());
        Tracked pooled = pool.Rent(), inFlight = pool.Rent();
        pool.Return(pooled);

        pool.Dispose();
        pool.Return(inFlight);

        Assert.True(pooled.Disposed);
        Assert.True(inFlight.Disposed);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }

    [Fact]
    public void OverflowingInstancesAreDisposedNotLeakedIntoTheSlots()
    {
        using var pool = new InstancePool<Tracked>(() => new Tracked());
        var rented = new Tracked[200];
        for (int i = 0; i < rented.Length; i++) rented[i] = pool.Rent();

        foreach (Tracked t in rented) pool.Return(t);

        Assert.Contains(rented, t => t.Disposed);
        Assert.Contains(rented, t => !t.Disposed);
    }

    [Fact]
    public void RacingThreadsNeverShareAnInstanceAndDisposeReachesEveryPooledOne()
    {
        var created = new ConcurrentBag<Tracked>();
        var pool = new InstancePool<Tracked>(() =>
        {
            var t = new Tracked();
            created.Add(t);
            return t;
        });
        int threads = Math.Max(4, Environment.ProcessorCount), shared = 0;
        using var start = new Barrier(threads);
        var workers = new Thread[threads];
        for (int w = 0; w < threads; w++)
        {
            workers[w] = new Thread(() =>
            {
                start.SignalAndWait();
                for (int i = 0; i < 100_000; i++)
                {
                    Tracked t = pool.Rent();
                    // Rented by one caller at a time: a slot handing one instance out twice would show here.
                    if (Interlocked.Exchange(ref t.InUse, 1) != 0) Interlocked.Increment(ref shared);
                    Volatile.Write(ref t.InUse, 0);
                    pool.Return(t);
                }
            });
            workers[w].Start();
        }

        foreach (Thread w in workers) w.Join();
        pool.Dispose();

        Assert.Equal(0, shared);
        // Every instance ever made was either dropped on a full pool or swept from a slot by Dispose.
        Assert.All(created, t => Assert.True(t.Disposed));
    }
}
