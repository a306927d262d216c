using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Connector;

[CollectionDefinition("Soak", DisableParallelization = true)]
public sealed class SoakCollection
{
}

[Collection("Soak")]
public sealed class ConcurrencyTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    [Theory]
    [InlineData(StorageKind.Memory, 10_000)]
    [InlineData(StorageKind.File, 250)]
    public void EightThreadsOfUpdatesOnOneSessionLoseNothing(StorageKind kind, int perThread)
    {
        using var c = _env.Create(kind);
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter());

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (int i = 0; i < perThread; i++) Assert.True(c.Update<Counter>(id, x => x.Value++));
        });

        Assert.Equal(8L * perThread, c.Get<Counter>(id)!.Value);
    }

    [Fact]
    public async Task EightAsyncWorkersOfUpdatesOnOneSessionLoseNothing()
    {
        await using var c = _env.Create(StorageKind.File);
        string id = SessionStorageConnector.GenerateId();
        await c.SetAsync(id, new Counter());

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 100; i++) Assert.True(await c.UpdateAsync<Counter>(id, x => x.Value++));
        })));

        Assert.Equal(800, (await c.GetAsync<Counter>(id))!.Value);
    }

    [Fact]
    public void TwoConnectorsOverOneFileStoreLoseNoUpdates()
    {
        // Two connectors = two independent in-process gates, so only the storage's CAS protects the count.
        using var a = _env.Create(_env.CreateStorage(StorageKind.File, "shared"), o => o.CacheCapacity = 0);
        using var b = _env.Create(_env.CreateStorage(StorageKind.File, "shared"), o => o.CacheCapacity = 0);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, new Counter());

        Parallel.Invoke(
            () => { for (int i = 0; i < 300; i++) Assert.True(a.Update<Counter>(id, x => x.Value++)); },
            () => { for (int i = 0; i < 300; i++) Assert.True(b.Update<Counter>(id, x => x.Value++)); });

        Assert.Equal(600, a.Get<Counter>(id)!.Value);
    }

    [Fact]
    public void TwoProcessesUpdatingOneFileStoreLoseNothing()
    {
        string dir = Path.Combine(_env.Directory, "procs");
        string id = SessionStorageConnector.GenerateId();
        using (var c = TestWorker.Open(dir)) c.Set(id, new Counter());

        using var p1 = ChildProcess.StartWorker("update-file", dir, id, "300");
        using var p2 = ChildProcess.StartWorker("update-file", dir, id, "300");
        // Meanwhile this process updates too: three writers, two of them in other processes.
        using (var c = TestWorker.Open(dir))
        {
            for (int i = 0; i < 300; i++) Assert.True(c.Update<Counter>(id, x => x.Value++));
        }

        p1.WaitForSuccess(TimeSpan.FromMinutes(2));
        p2.WaitForSuccess(TimeSpan.FromMinutes(2));
        using var check = TestWorker.Open(dir);
        Assert.Equal(900, check.Get<Counter>(id)!.Value);
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public async Task ADeleteRacingASlowerUpdateStaysDeleted(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 1 });
        using var inside = new ManualResetEventSlim();
        using var deleted = new ManualResetEventSlim();

        // The update reads the session, then stalls while a logout deletes it, then tries to write.
        Task<bool> update = Task.Run(() => c.Update<Counter>(id, x =>
        {
            inside.Set();
            deleted.Wait();
            x.Value++;
        }));
        inside.Wait();
        Assert.True(c.Delete(id));
        deleted.Set();

        Assert.False(await update);
        Assert.Null(c.Get<Counter>(id));
        Assert.Null(_env.Create(c.Storage).Get<Counter>(id));
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public void ADeleteRacingASlowerSetStaysDeleted(StorageKind kind)
    {
        var spy = new RecordingStorage(_env.CreateStorage(kind));
        using var c = _env.Create(spy);
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new Counter { Value = 1 });

        // The Set has read the current version; the delete lands before its write.
        int calls = 0;
        spy.BeforeWrite = _ =>
        {
            // Another thread deletes while this write is in flight.
            if (Interlocked.Increment(ref calls) == 1)
            {
                var t = new Thread(() => c.Delete(id));
                t.Start();
                t.Join();
            }
        };

        Assert.False(c.Set(id, new Counter { Value = 2 }));
        Assert.Null(c.Get<Counter>(id));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ADeleteLandingBetweenASetsWriteAndItsCachePutIsNotUndoneByTheCache(bool sessionExistedBefore)
    {
        // Found by the linearizability test: Set wrote storage, a Delete removed the record and marked the cache, then
        // the Set's late cache put (a brand-new session's version carries a random offset) outranked the marker.
        var spy = new RecordingStorage(_env.CreateStorage(StorageKind.File, "late-put"));
        using var c = _env.Create(spy);
        string id = SessionStorageConnector.GenerateId();
        if (sessionExistedBefore)
        {
            c.Set(id, new Counter { Value = 1 });
            c.Delete(id);
        }

        int calls = 0;
        spy.AfterWrite = _ =>
        {
            if (Interlocked.Increment(ref calls) != 1) return;
            var t = new Thread(() => c.Delete(id));
            t.Start();
            t.Join();
        };

        Assert.True(c.Set(id, new Counter { Value = 3001 }));
        spy.AfterWrite = null;

        Assert.Null(c.Get<Counter>(id)); // the delete completed after the write: absent, in storage and in the cache
        Assert.Null(_env.Create(_env.CreateStorage(StorageKind.File, "late-put"), o => o.CacheCapacity = 0).Get<Counter>(id));
    }

    [Fact]
    public void ConcurrentSetsLeaveTheCacheAgreeingWithStorage()
    {
        var storage = _env.CreateStorage(StorageKind.File, "agree");
        using var c = _env.Create(storage);
        string id = SessionStorageConnector.GenerateId();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => c.Set(id, new Counter { Value = i }));

        long cached = c.Get<Counter>(id)!.Value;
        using var fresh = _env.Create(_env.CreateStorage(StorageKind.File, "agree"), o => o.CacheCapacity = 0);
        Assert.Equal(fresh.Get<Counter>(id)!.Value, cached);
    }
}
