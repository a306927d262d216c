using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Reliability;

/// <summary>Many threads hammering one session: no update is lost, and a delete stays a delete.</summary>
[Collection("Soak")]
public sealed class SoakTests : IDisposable
{
    private const int Threads = 8;
    private readonly TestConnectors _env = new();
    private readonly ITestOutputHelper _output;

    public SoakTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _env.Dispose();

    private static void RunThreads(int count, Action<int> body)
    {
        var start = new Barrier(count);
        Exception? error = null;
        Thread[] threads = Enumerable.Range(0, count).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                body(t);
            }
            catch (Exception e)
            {
                error ??= e;
            }
        })).ToArray();
        foreach (Thread th in threads) th.Start();
        foreach (Thread th in threads) th.Join();
        if (error is not null) throw new InvalidOperationException("a worker thread failed", error);
    }

    [Fact]
    public void EightThreadsOfUpdatesOnOneMemorySessionLoseNothing()
    {
        int perThread = 10_000;
        // Two connectors over one memory storage: their in-process update gates are separate, so the storage's
        // compare-and-set must keep the threads of one from overwriting the other's updates.
        var storage = (MemorySessionStorage)_env.CreateStorage(StorageKind.Memory);
        using SessionStorageConnector c = _env.Create(storage, o => o.MaxUpdateAttempts = 100_000);
        using SessionStorageConnector other = _env.Create(storage, o => o.MaxUpdateAttempts = 100_000);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new Counter()));
        var sw = Stopwatch.StartNew();
        RunThreads(Threads, t =>
        {
            SessionStorageConnector mine = t % 2 == 0 ? c : other;
            for (int i = 0; i < perThread; i++) Assert.True(mine.Update<Counter>(id, x => x.Value++));
        });
        long value = c.Get<Counter>(id)!.Value;
        _output.WriteLine($"memory (2 connectors, 1 storage): {Threads} threads x {perThread:N0} updates = {value:N0} (expected {Threads * perThread:N0}) in {sw.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(Threads * perThread, value);
    }

    /// <summary>
    /// File storage (ProcessCrash durability) through two connectors on one directory, four threads each: the connectors'
    /// in-process update gates are separate, so only the storage compare-and-set keeps updates from being lost (as between
    /// two processes). 2,000 updates per thread by default (10,000 in long mode) to keep the default run short.
    /// </summary>
    [Fact]
    public void EightThreadsOfUpdatesOnOneFileSessionThroughTwoConnectorsLoseNothing()
    {
        int perThread = LongMode.Pick(2_000, 10_000);
        string dir = Path.Combine(_env.Directory, "soak");
        using SessionStorageConnector a = _env.Create(new FileSessionStorage(dir, FileDurability.ProcessCrash, _env.Clock), o => o.MaxUpdateAttempts = 10_000);
        using SessionStorageConnector b = _env.Create(new FileSessionStorage(dir, FileDurability.ProcessCrash, _env.Clock), o => o.MaxUpdateAttempts = 10_000);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(a.Set(id, new Counter()));
        var sw = Stopwatch.StartNew();
        RunThreads(Threads, t =>
        {
            SessionStorageConnector c = t % 2 == 0 ? a : b;
            for (int i = 0; i < perThread; i++) Assert.True(c.Update<Counter>(id, x => x.Value++));
        });
        using SessionStorageConnector reader = _env.Create(new FileSessionStorage(dir, FileDurability.ProcessCrash, _env.Clock));
        long value = reader.Get<Counter>(id)!.Value;
        double seconds = sw.Elapsed.TotalSeconds;
        _output.WriteLine($"file (ProcessCrash, 2 connectors): {Threads} threads x {perThread:N0} updates = {value:N0} (expected {Threads * perThread:N0}) in {seconds:F1} s ({Threads * perThread / seconds:N0} updates/s)");
        Assert.Equal(Threads * perThread, value);
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public async Task ADeleteRacingSlowerUpdatesStaysDeleted(StorageKind kind)
    {
        int rounds = LongMode.Pick(30, 300);
        using SessionStorageConnector c = _env.Create(kind);
        int updatesBefore = 0, updatesAfter = 0, resurrected = 0;
        var rng = new Random(FuzzHarness.Seed);
        for (int round = 0; round < rounds; round++)
        {
            string id = SessionStorageConnector.GenerateId();
            Assert.True(c.Set(id, new Counter()));
            long deletedAt = long.MaxValue;
            int delay = rng.Next(0, 6);
            int writers = 4;
            using var stop = new CancellationTokenSource();
            Task[] updaters = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                while (true)
                {
                    long invoked = Stopwatch.GetTimestamp();
                    bool ok = c.Update<Counter>(id, x =>
                    {
                        Thread.Sleep(1); // a slow change: the delete lands while it runs
                        x.Value++;
                    });
                    if (ok)
                    {
                        if (invoked > Interlocked.Read(ref deletedAt)) Interlocked.Increment(ref updatesAfter);
                        else Interlocked.Increment(ref updatesBefore);
                    }
                    else
                    {
                        return;
                    }

                    await Task.Yield();
                }
            })).ToArray();
            await Task.Delay(delay);
            Assert.True(await c.DeleteAsync(id));
            Interlocked.Exchange(ref deletedAt, Stopwatch.GetTimestamp());
            await Task.WhenAll(updaters).WaitAsync(TimeSpan.FromSeconds(30));

            // Later reads, through the cache and around it, see nothing; a later update does not revive it.
            if (c.TryGet<Counter>(id, out _)) resurrected++;
            if (c.Update<Counter>(id, x => x.Value++)) resurrected++;
            if (c.Storage is FileSessionStorage f)
            {
                using SessionStorageConnector fresh = _env.Create(new FileSessionStorage(f.DirectoryPath, FileDurability.ProcessCrash, _env.Clock));
                if (fresh.TryGet<Counter>(id, out _)) resurrected++;
            }
        }

        _output.WriteLine($"{kind}: {rounds} rounds of 4 slow updaters racing a delete; {updatesBefore:N0} updates landed before the delete, {updatesAfter} updates invoked after it succeeded, {resurrected} sessions resurrected");
        Assert.Equal(0, resurrected);
        Assert.Equal(0, updatesAfter);
    }
}
