using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Storage;

public sealed class MemorySessionStorageTests
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = new();

    [Fact]
    public void ARecordReadSinceTheHandPassedOutlivesOneThatWasNot()
    {
        var s = new MemorySessionStorage(3, _clock);
        s.TryWrite("a", new byte[] { 1 }, null, SessionStorage.Absent, 1);
        s.TryWrite("b", new byte[] { 1 }, null, SessionStorage.Absent, 1);
        s.TryWrite("c", new byte[] { 1 }, null, SessionStorage.Absent, 1);
        s.Read("a"); // a is used: the hand gives it a second chance and evicts b, the next unused one
        s.TryWrite("d", new byte[] { 1 }, null, SessionStorage.Absent, 1);

        Assert.Equal(3, s.Count);
        Assert.NotNull(s.Read("a"));
        Assert.Null(s.Read("b"));
    }

    [Fact]
    public void RecordsExpireAndPurgeRemovesThem()
    {
        var s = new MemorySessionStorage(10, _clock);
        s.TryWrite("a", new byte[] { 1 }, _clock.GetUtcNow().AddSeconds(5), SessionStorage.Absent, 1);
        s.TryWrite("b", new byte[] { 1 }, _clock.GetUtcNow().AddSeconds(50), SessionStorage.Absent, 1);
        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Null(s.Read("a"));
        s.TryWrite("c", new byte[] { 1 }, _clock.GetUtcNow().AddSeconds(1), SessionStorage.Absent, 1);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, s.PurgeExpired());
        Assert.Equal(1, s.Count);
    }

    [Fact]
    public void WrittenBytesAreCopied()
    {
        var s = new MemorySessionStorage(10, _clock);
        byte[] value = { 1, 2 };
        s.TryWrite("a", value, null, SessionStorage.Absent, 1);
        value[0] = 9;
        Assert.Equal(1, s.Read("a")!.Value.Value[0]);
    }

    // The connector hands over a fresh envelope it never touches again; copying it would double every Set's allocation.
    [Fact]
    public void AnOwnedWriteKeepsTheHandedOverArray()
    {
        var s = new MemorySessionStorage(10, _clock);
        byte[] first = { 1, 2 }, second = { 3, 4 };

        Assert.True(s.TryWriteOwned("a", first, null, SessionStorage.Absent, 1));
        Assert.Same(first, s.Read("a")!.Value.Value);
        Assert.True(s.TryWriteOwned("a", second, null, 1, 2));
        Assert.Same(second, s.Read("a")!.Value.Value);
    }

    [Fact]
    public void AnOwnedWriteIsTheSameCompareAndSet()
    {
        var s = new MemorySessionStorage(10, _clock);
        byte[] stored = { 1 };
        Assert.True(s.TryWriteOwned("a", stored, _clock.GetUtcNow().AddSeconds(5), SessionStorage.Absent, 7));

        Assert.False(s.TryWriteOwned("a", new byte[] { 2 }, null, SessionStorage.Absent, 8)); // live: not absent
        Assert.False(s.TryWriteOwned("a", new byte[] { 2 }, null, 6, 8)); // stale expected version
        Assert.Same(stored, s.Read("a")!.Value.Value); // a failed write leaves the record intact
        Assert.Equal(7, s.Read("a")!.Value.Version);

        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.False(s.TryWriteOwned("a", new byte[] { 2 }, null, 7, 8)); // expired counts as absent
        Assert.True(s.TryWriteOwned("a", new byte[] { 3 }, null, SessionStorage.AnyVersion, 9));
        Assert.Equal(9, s.Read("a")!.Value.Version);
    }

    // Compare-and-set per key without a lock: every increment from every thread must land exactly once.
    [Fact]
    public void ConcurrentCompareAndSetOnOneKeyLosesNoIncrement()
    {
        const int Threads = 4, PerThread = 5_000;
        var s = new MemorySessionStorage(10, _clock);
        long lost = 0;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                while (true)
                {
                    StoredRecord? current = s.Read("k");
                    long value = current is null ? 0 : BinaryPrimitives.ReadInt64LittleEndian(current.Value.Value);
                    var next = new byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(next, value + 1);
                    if (s.TryWrite("k", next, null, current?.Version ?? SessionStorage.Absent, value + 1)) break;
                    Interlocked.Increment(ref lost);
                }
            }
        });

        StoredRecord final = s.Read("k")!.Value;
        Assert.Equal(Threads * PerThread, BinaryPrimitives.ReadInt64LittleEndian(final.Value));
        Assert.Equal(Threads * PerThread, final.Version);
        Assert.Equal(1, s.Count);
    }

    // Adds, replaces, deletes and evictions racing: the bound holds and the count matches what is really there.
    [Fact]
    public void TheBoundAndTheCountHoldUnderRacingWritesDeletesAndEvictions()
    {
        const int Max = 50, Threads = 4;
        var s = new MemorySessionStorage(Max, _clock);
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            var rng = new Random(thread);
            for (int i = 0; i < 20_000; i++)
            {
                string key = "k" + rng.Next(500);
                switch (rng.Next(4))
                {
                    case 0: s.Delete(key); break;
                    case 1: s.Read(key); break;
                    default: s.TryWrite(key, new byte[] { 1 }, null, SessionStorage.AnyVersion, i + 1); break;
                }
            }
        });

        List<string> present = s.EnumerateAsync().ToBlockingEnumerable().Select(p => p.Key).ToList();
        Assert.InRange(s.Count, 1, Max);
        Assert.Equal(present.Count, s.Count);
        Assert.Equal(present.Count, present.Distinct().Count());
        Assert.All(present, k => Assert.NotNull(s.Read(k)));
    }

    // Deleted slots wait in the eviction queue until the hand passes; churn under the bound must not grow it for ever.
    [Fact]
    public void ChurnBelowTheBoundKeepsTheEvictionQueueBounded()
    {
        var s = new MemorySessionStorage(10, _clock);
        for (int i = 0; i < 10_000; i++)
        {
            string key = "k" + i;
            Assert.True(s.TryWrite(key, new byte[] { 1 }, null, SessionStorage.Absent, 1));
            Assert.True(s.Delete(key));
        }

        Assert.Equal(0, s.Count);
        Assert.InRange(s.QueuedSlots, 0, 2 * 10 + 1);
    }

    [Fact]
    public void ADeletedKeyCanBeWrittenAgainAsAbsentAndTryDeleteComparesTheVersion()
    {
        var s = new MemorySessionStorage(10, _clock);
        Assert.True(s.TryWrite("a", new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.False(s.TryDelete("a", 2));
        Assert.True(s.TryDelete("a", 1));
        Assert.Null(s.Read("a"));
        Assert.False(s.TryWrite("a", new byte[] { 2 }, null, 1, 2)); // gone: only Absent matches
        Assert.True(s.TryWrite("a", new byte[] { 2 }, null, SessionStorage.Absent, 2));
        Assert.Equal(2, s.Read("a")!.Value.Version);
        s.Clear();
        Assert.Equal(0, s.Count);
        Assert.Null(s.Read("a"));
    }
}
