using System;
using SessionConnector.Protection;
using Xunit;

namespace SessionConnector.Tests.Protection;

public sealed class InstancePoolTests
{
    private sealed class Tracked : IDisposable
    {
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
}
