using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Reliability;

/// <summary>
/// Three threads run five random Set/Get/Update/Delete calls each on two sessions; the recorded history (invoke and
/// complete timestamps, results) must be linearizable against the sequential model. Many short histories.
/// </summary>
public sealed class LinearizabilityTests : IDisposable
{
    private const int Threads = 3, OpsPerThread = 5, Keys = 2;
    private readonly TestConnectors _env = new();
    private readonly ITestOutputHelper _output;

    public LinearizabilityTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _env.Dispose();

    [Theory]
    [InlineData(StorageKind.Memory, 0)]
    [InlineData(StorageKind.File, 1024)]
    [InlineData(StorageKind.File, 0)]
    public void ConcurrentHistoriesAreLinearizable(StorageKind kind, int cacheCapacity)
    {
        int iterations = kind == StorageKind.Memory ? LongMode.Pick(1_500, 50_000) : LongMode.Pick(300, 10_000);
        int seed = FuzzHarness.Seed;
        // Jitter widens race windows: memory operations finish faster than threads wake from the barrier.
        using SessionStorageConnector c = _env.Create(new JitterStorage(_env.CreateStorage(kind)), o => o.CacheCapacity = cacheCapacity);
        var overlapping = 0;
        var kinds = new Dictionary<string, int>();
        var barrier = new Barrier(Threads);
        var history = new HistoryOp[Threads * OpsPerThread];
        string[] ids = new string[Keys];
        Exception? error = null;

        for (int iter = 0; iter < iterations; iter++)
        {
            for (int k = 0; k < Keys; k++) ids[k] = SessionStorageConnector.GenerateId();
            if (iter % 2 == 0) c.Set(ids[0], new Counter { Value = 1 }); // start some histories with a live session
            var threads = new Thread[Threads];
            for (int t = 0; t < Threads; t++)
            {
                int thread = t;
                var rng = new Random(unchecked(seed * 7919 + iter * Threads + t));
                threads[t] = new Thread(() =>
                {
                    try
                    {
                        barrier.SignalAndWait();
                        for (int i = 0; i < OpsPerThread; i++)
                        {
                            int key = rng.Next(Keys);
                            string id = ids[key];
                            int which = rng.Next(8);
                            string kindName = which switch { 0 or 1 => "Set", 2 or 3 => "Get", 4 or 5 or 6 => "Update", _ => "Delete" };
                            string arg = kindName == "Set" ? (1000 * (thread + 1) + i).ToString() : kindName == "Update" ? ((char)('a' + thread)).ToString() + i : "";
                            long invoked = Stopwatch.GetTimestamp();
                            string result = kindName switch
                            {
                                "Set" => c.Set(id, new Counter { Value = long.Parse(arg) }).ToString(),
                                "Get" => c.TryGet<Counter>(id, out Counter? v) ? v.Value + "|" + string.Concat(v.Log) : "absent",
                                "Update" => c.Update<Counter>(id, x =>
                                {
                                    x.Value++;
                                    x.Log.Add(arg);
                                }).ToString(),
                                _ => c.Delete(id).ToString(),
                            };
                            long completed = Stopwatch.GetTimestamp();
                            history[thread * OpsPerThread + i] = new HistoryOp(thread, kindName, key, arg, invoked, completed, result);
                        }
                    }
                    catch (Exception e)
                    {
                        error = e;
                    }
                });
                threads[t].Start();
            }

            foreach (Thread th in threads) th.Join();
            Assert.Null(error);

            // Histories that start with a live session: the initial Set is an extra op before everything else.
            var ops = new List<HistoryOp>();
            if (iter % 2 == 0) ops.Add(new HistoryOp(-1, "Set", 0, "1", long.MinValue, long.MinValue + 1, "True"));
            ops.AddRange(history);
            if (Linearizability.Check(ops, Keys) is null)
            {
                Assert.Fail($"iteration {iter} (seed {seed}) is not linearizable:\n" + string.Join("\n", ops.OrderBy(o => o.Invoked)));
            }

            for (int i = 0; i < history.Length; i++)
            {
                for (int j = i + 1; j < history.Length; j++)
                {
                    if (history[i].Thread != history[j].Thread && history[i].Invoked < history[j].Completed && history[j].Invoked < history[i].Completed)
                    {
                        overlapping++;
                        j = history.Length;
                        i = history.Length;
                    }
                }
            }

            foreach (HistoryOp op in history) kinds[op.Kind + "=" + op.Result.Split('|')[0].Replace("True", "T").Replace("False", "F")] = 0;
        }

        _output.WriteLine($"{kind} (cache {cacheCapacity}): {iterations:N0} histories of {Threads} threads x {OpsPerThread} ops (seed {seed}), all linearizable; {overlapping:N0} had overlapping calls");
        Assert.True(overlapping > iterations / 50, "too few histories had concurrent calls; the test proved little");
    }

    [Fact]
    public void TheCheckerRejectsANonLinearizableHistory()
    {
        // t0's Set completed before t1's Get was invoked, yet the Get saw nothing.
        var bad = new List<HistoryOp>
        {
            new(0, "Set", 0, "5", 0, 10, "True"),
            new(1, "Get", 0, "", 20, 30, "absent"),
        };
        Assert.Null(Linearizability.Check(bad, 1));

        // Two overlapping Updates that both saw the same value (a lost update).
        var lost = new List<HistoryOp>
        {
            new(-1, "Set", 0, "1", 0, 1, "True"),
            new(0, "Update", 0, "a", 10, 50, "True"),
            new(1, "Update", 0, "b", 11, 51, "True"),
            new(2, "Get", 0, "", 60, 70, "2|a"),
        };
        Assert.Null(Linearizability.Check(lost, 1));

        // Overlap allows either order.
        var fine = new List<HistoryOp>
        {
            new(0, "Set", 0, "5", 0, 30, "True"),
            new(1, "Get", 0, "", 10, 20, "absent"),
            new(2, "Delete", 0, "", 25, 40, "True"),
            new(1, "Set", 0, "7", 35, 45, "False"),
        };
        Assert.NotNull(Linearizability.Check(fine, 1));
    }
}
