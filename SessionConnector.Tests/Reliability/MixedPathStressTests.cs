using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Maintenance;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Reliability;

/// <summary>
/// Several processes on one file store, on the same keys, mixing every write path at once: in-place updates of small
/// records, records that outgrow their slots (a new file renamed over the old one) and shrink again, deletes and
/// re-creates (a file created at its path), expiring records, with caches in front (the change table) and, in two
/// variants, rotate and purge passes running against the live store, or writers killed (SIGKILL) at random moments.
/// </summary>
/// <remarks>
/// <para>Three kinds of key. Counter keys are never deleted: every acknowledged update adds one, so the final value is
/// the acknowledged count (between it and the attempted count when writers were killed), and every read, from storage
/// or a cache, must be at least the highest value any process had been acknowledged before the read began. Lifecycle
/// keys (one per worker, which alone deletes and re-creates it, each time under a new generation) check that a delete is
/// never undone: once its owner has published a generation as deleted, no read or acknowledged update anywhere may see
/// it. Expiring keys give the purge something to remove. Every record read is checked whole (its filler is derived
/// from its value), and no record may be rejected.</para>
/// <para>The workers share a <see cref="StressBoard"/> (a mapped page) for what they were acknowledged. Durability is
/// ProcessCrash (the paths taken are the same under PowerLoss; only the flushes differ) so the run is about interleavings,
/// not the disk. SESSIONCONNECTOR_LONG=1 runs each scenario for a minute instead of a few seconds.</para>
/// </remarks>
[Collection("Soak")]
public sealed class MixedPathStressTests : IDisposable
{
    private const int Workers = 3;
    private const int CounterKeys = 3;
    private const int ExpiringKeys = 6;
    // Past 4,040 bytes a record outgrows a 4 KiB slot; growing stops here so files stay small enough to reread often.
    private const int GrowthCap = 40_000;
    private static readonly TimeSpan Answer = TimeSpan.FromMinutes(2);

    private readonly string _root = Directory.CreateTempSubdirectory("sc-mixed-").FullName;
    private readonly ITestOutputHelper _output;

    public MixedPathStressTests(ITestOutputHelper output) => _output = output;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Store => Path.Combine(_root, "store");

    private string BoardPath => Path.Combine(_root, "board");

    private static TimeSpan RunTime => TimeSpan.FromSeconds(LongMode.Pick(3, 60));

    [Fact]
    public async Task MixedPathWritersInSeveralProcessesLoseNothingAndNeverUndoADelete()
    {
        Run run = Start();
        Thread.Sleep(RunTime);
        string stats = run.Stop();

        using StressBoard board = StressBoard.Open(BoardPath);
        Tally tally = await CheckStore(run, board, killed: false);
        Assert.Empty(Directory.GetFiles(Path.Combine(Store, ".tmp"))); // clean exits leave no temp file, even unopened
        _output.WriteLine($"{Workers} processes for {RunTime.TotalSeconds:F0} s: {stats}; {tally}");
    }

    [Fact]
    public async Task RotateAndPurgeRunningAgainstMixedPathWritersLoseNothingAndLeaveEveryRecordOpen()
    {
        Run run = Start();
        long rotated = 0, purged = 0, conflicts = 0, passes = 0;
        var failures = new List<string>();
        // A maintenance process of its own (this one), as sessionctl is: its own store instance, the ring with key 2 primary,
        // while the workers keep writing under key 1, so every pass finds records to re-seal.
        using (var storage = new FileSessionStorage(Store, FileDurability.ProcessCrash))
        using (var maintenance = new SessionStoreMaintenance(storage, RotatedRing()))
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < RunTime)
            {
                MaintenanceResult rotation = await maintenance.RotateAsync(new MaintenanceOptions { Parallelism = 4 });
                MaintenanceResult purge = await maintenance.PurgeExpiredAsync(new MaintenanceOptions { Parallelism = 4 });
                rotated += rotation.Changed;
                purged += purge.Changed;
                conflicts += rotation.Conflicts + purge.Conflicts;
                passes++;
                failures.AddRange(rotation.Failures.Concat(purge.Failures).Select(f => $"{f.Key}: {f.Value}"));
            }
        }

        string stats = run.Stop();
        Assert.Empty(failures);
        using (var storage = new FileSessionStorage(Store, FileDurability.ProcessCrash))
        using (var maintenance = new SessionStoreMaintenance(storage, RotatedRing()))
        {
            // Quiet now: one more pass re-seals what the writers wrote under key 1 since, and leaves nothing to re-seal.
            MaintenanceResult last = await maintenance.RotateAsync();
            MaintenanceResult again = await maintenance.RotateAsync();
            Assert.Empty(last.Failures);
            Assert.Empty(again.Failures);
            Assert.Equal(0, again.Changed);
        }

        using StressBoard board = StressBoard.Open(BoardPath);
        Tally tally = await CheckStore(run, board, killed: false);
        Assert.Empty(Directory.GetFiles(Path.Combine(Store, ".tmp")));
        _output.WriteLine($"{Workers} processes for {RunTime.TotalSeconds:F0} s with {passes} rotate+purge passes ({rotated} re-sealed, {purged} purged, {conflicts} conflicts): {stats}; {tally}");
        Assert.True(rotated > 0, "no rotation re-sealed a record while the writers ran; the test proved nothing");
        Assert.True(purged > 0, "no purge removed a record while the writers ran; the test proved nothing");
    }

    [Fact]
    public async Task SigkilledMixedPathWritersNeverTearARecordNorMoveACounterBack()
    {
        Run run = Start();
        var rng = new Random(20261206);
        var clock = Stopwatch.StartNew();
        int kills = 0;
        var violations = new List<string>();
        while (clock.Elapsed < RunTime)
        {
            Thread.Sleep(rng.Next(20, 300));
            int victim = rng.Next(Workers);
            ChildProcess child = run.Processes[victim];
            if (child.HasExited) child.WaitForSuccess(Answer); // a worker stops early only on violations: fails with them
            // SIGKILL: no finally blocks, no flushes, locks released by the kernel, a change-table slot maybe left odd.
            child.Kill();
            // A worker reports each violation on stderr as it finds it, so a killed one's are not lost.
            if (child.StandardError.Length > 0) violations.Add(child.StandardError);
            child.Dispose();
            run.Processes[victim] = run.StartWorker(victim, rng.Next());
            kills++;
        }

        string stats = run.Stop();
        Assert.Empty(violations);
        using StressBoard board = StressBoard.Open(BoardPath);
        // Opening the store again removes the dead writers' temp files.
        Tally tally = await CheckStore(run, board, killed: true);
        Assert.Empty(Directory.GetFiles(Path.Combine(Store, ".tmp")));
        _output.WriteLine($"{Workers} processes for {RunTime.TotalSeconds:F0} s, {kills} SIGKILLs: {stats} (survivors); {tally}");
        Assert.True(kills > 0);
    }

    /// <summary>The workers and the keys of one run.</summary>
    private sealed class Run(string store, string board, string[] counters, string[] lifecycles, string[] expiring)
    {
        public ChildProcess[] Processes { get; } = new ChildProcess[Workers];

        public string[] Counters => counters;

        public string[] Lifecycles => lifecycles;

        /// <summary>Starts worker <paramref name="index"/> and returns once it is at work (its store open).</summary>
        public ChildProcess StartWorker(int index, int seed)
        {
            ChildProcess child = ChildProcess.StartWorker("mixed-paths", store, board,
                index.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture),
                string.Join(',', counters), string.Join(',', lifecycles), string.Join(',', expiring));
            string? line = child.ReadLine(Answer);
            if (line != "ready") throw new InvalidOperationException($"worker {index} said '{line}'; its stderr:\n{child.StandardError}");
            return child;
        }

        /// <summary>Asks every worker to stop, waits for each, fails with its stderr unless it exited cleanly; their stats.</summary>
        public string Stop()
        {
            using (StressBoard b = StressBoard.Open(board)) b.RequestStop();
            var stats = new List<string>();
            var failed = new List<string>();
            foreach (ChildProcess p in Processes)
            {
                // Every worker's outcome before failing: the owner's view of a violation is often the telling one.
                using (p)
                {
                    ChildResult result = p.WaitForExit(Answer);
                    stats.Add(result.StdOut.Trim());
                    if (result.ExitCode != 0) failed.Add(result.ToString());
                }
            }

            if (failed.Count > 0) throw new Xunit.Sdk.XunitException("workers failed:\n" + string.Join("\n", failed));
            return string.Join(" | ", stats);
        }
    }

    private Run Start()
    {
        string Id() => SessionStorageConnector.GenerateId();
        var run = new Run(Store, BoardPath,
            Enumerable.Range(0, CounterKeys).Select(_ => Id()).ToArray(),
            Enumerable.Range(0, Workers).Select(_ => Id()).ToArray(),
            Enumerable.Range(0, ExpiringKeys).Select(_ => Id()).ToArray());
        using (SessionStorageConnector setup = Open(Store, cache: false))
        {
            foreach (string id in run.Counters) Assert.True(setup.Set(id, Record("c", 0, 100)));
        }

        using (StressBoard.Open(BoardPath)) { } // created zeroed before any worker maps it
        var rng = new Random(42);
        for (int i = 0; i < Workers; i++) run.Processes[i] = run.StartWorker(i, rng.Next());
        return run;
    }

    private readonly record struct Tally(long Counted, long LifecycleUpdates, int LiveLifecycleKeys)
    {
        public override string ToString() => $"{Counted} counter updates in the store, {LifecycleUpdates} on the live lifecycle generations ({LiveLifecycleKeys} live)";
    }

    /// <summary>
    /// Reopens the store and checks it against the board: counters exact (at least the acknowledged and at most the
    /// attempted count after kills), lifecycle keys at a generation never deleted with their acknowledged updates, and every
    /// record opening (a verify pass, after one read of each key has removed what a killed create left).
    /// </summary>
    private async Task<Tally> CheckStore(Run run, StressBoard board, bool killed)
    {
        using SessionStorageConnector check = Open(Store, cache: false);
        long counted = 0;
        for (int k = 0; k < run.Counters.Length; k++)
        {
            Counter value = check.Get<Counter>(run.Counters[k]) ?? throw new Xunit.Sdk.XunitException($"counter key {k} vanished");
            Assert.Null(Problem(value, "c"));
            long acked = board.Sum(StressTable.Acked, k), attempted = board.Sum(StressTable.Attempts, k);
            Assert.True(value.Value >= board.Max(StressTable.AckedMax, k), $"counter {k}: {value.Value} is below an acknowledged value");
            if (killed) Assert.InRange(value.Value, acked, attempted);
            else Assert.Equal(acked, value.Value);
            counted += value.Value;
        }

        long lifecycleUpdates = 0;
        int live = 0;
        for (int l = 0; l < run.Lifecycles.Length; l++)
        {
            long deleted = board.Read(StressTable.Deleted, l, 0);
            if (check.Get<Counter>(run.Lifecycles[l]) is not { } value) continue;
            Assert.Null(Problem(value, null));
            long generation = GenerationOf(value);
            Assert.True(generation > deleted, $"lifecycle key {l} holds generation {generation}, deleted as of {deleted}");
            long acked = 0;
            for (int w = 0; w < StressBoard.MaxWorkers; w++)
            {
                if (board.Read(StressTable.AckedGeneration, l, w) == generation) acked += board.Read(StressTable.AckedOnGeneration, l, w);
            }

            if (killed) Assert.True(value.Value >= acked, $"lifecycle key {l}: {value.Value} below its {acked} acknowledged updates");
            else Assert.Equal(acked, value.Value);
            lifecycleUpdates += value.Value;
            live++;
        }

        using var storage = new FileSessionStorage(Store, FileDurability.ProcessCrash);
        using var maintenance = new SessionStoreMaintenance(storage, RotatedRing());
        MaintenanceResult verify = await maintenance.VerifyAsync(evict: false);
        Assert.Empty(verify.Failures);
        return new Tally(counted, lifecycleUpdates, live);
    }

    // ---- the worker ----------------------------------------------------------------------------------------------

    /// <summary>
    /// worker mixed-paths &lt;store&gt; &lt;board&gt; &lt;index&gt; &lt;seed&gt; &lt;counter ids&gt; &lt;lifecycle ids&gt; &lt;expiring ids&gt;:
    /// random operations until the board's stop flag; prints its tallies, exits 3 with the violations on stderr.
    /// </summary>
    internal static int Worker(string[] args)
    {
        var worker = new StressWorker(args[2], args[3], int.Parse(args[4], CultureInfo.InvariantCulture), int.Parse(args[5], CultureInfo.InvariantCulture),
            args[6].Split(','), args[7].Split(','), args[8].Split(','));
        return worker.Run();
    }

    private sealed class StressWorker(string store, string boardPath, int me, int seed, string[] counters, string[] lifecycles, string[] expiring)
    {
        private readonly Random _rng = new(seed);
        private readonly List<string> _violations = new();
        private readonly long[] _seen = new long[counters.Length];
        private long _updates, _grows, _reads, _deletes, _creates, _lifecycleUpdates, _expiringWrites, _conflicts;

        /// <summary>Kept and written to stderr at once: a worker killed later does not take it with it.</summary>
        private void Violation(string what)
        {
            _violations.Add(what);
            Console.Error.WriteLine(what);
            Console.Error.Flush();
        }

        public int Run()
        {
            using StressBoard board = StressBoard.Open(boardPath);
            using SessionStorageConnector c = Open(store, cache: true);
            var rejected = new MetricCounter(c.Meter, "sessionconnector.records.rejected");
            var hits = new MetricCounter(c.Meter, "sessionconnector.cache.hits");
            Console.Out.WriteLine("ready");
            Console.Out.Flush();
            while (!board.StopRequested && _violations.Count < 20)
            {
                try
                {
                    int roll = _rng.Next(100);
                    if (roll < 45) UpdateCounter(c, board, _rng.Next(counters.Length));
                    else if (roll < 65) ReadCounter(c, board, _rng.Next(counters.Length));
                    else if (roll < 92) Lifecycle(c, board, _rng.Next(lifecycles.Length));
                    else Expiring(c, expiring[_rng.Next(expiring.Length)]);
                }
                catch (SessionConflictException)
                {
                    _conflicts++; // documented: other writers won every attempt, nothing was written
                }
                catch (Exception e)
                {
                    Violation("unexpected " + e);
                }
            }

            if (rejected.Total != 0) Violation($"{rejected.Total} records rejected");
            Console.Out.WriteLine($"w{me}: {_updates} counter updates ({_grows} grown), {_lifecycleUpdates} lifecycle updates, {_creates} creates, {_deletes} deletes, {_reads} reads ({hits.Total} cache hits), {_expiringWrites} expiring writes, {_conflicts} conflicts");
            return _violations.Count == 0 ? 0 : 3;
        }

        private void UpdateCounter(SessionStorageConnector c, StressBoard board, int k)
        {
            long floor = board.Max(StressTable.AckedMax, k);
            board.Increment(StressTable.Attempts, k, me);
            bool grow = _rng.Next(8) == 0;
            int small = SmallSize();
            long written = 0;
            string? problem = null;
            bool ok = c.Update<Counter>(counters[k], x =>
            {
                problem = Problem(x, "c");
                x.Value++;
                x.Log[^1] = Filler(x.Value, grow ? Grown(x.Log[^1].Length) : small);
                written = x.Value;
            });
            if (problem is not null) Violation($"counter {k} read for an update: {problem}");
            if (!ok)
            {
                Violation($"an update of counter key {k}, which is never deleted, found it absent");
                return;
            }

            board.Increment(StressTable.Acked, k, me);
            if (written > board.Read(StressTable.AckedMax, k, me)) board.Write(StressTable.AckedMax, k, me, written);
            if (written <= floor) Violation($"counter {k}: an update wrote {written}, but {floor} had been acknowledged before it began");
            _seen[k] = Math.Max(_seen[k], written);
            _updates++;
            if (grow) _grows++;
        }

        private void ReadCounter(SessionStorageConnector c, StressBoard board, int k)
        {
            // Twice: the second read is usually a cache hit, which must be as current as a read from storage.
            for (int i = 0; i < 2; i++)
            {
                long floor = board.Max(StressTable.AckedMax, k);
                Counter? x = c.Get<Counter>(counters[k]);
                _reads++;
                if (x is null)
                {
                    Violation($"counter key {k}, which is never deleted, read as absent");
                    return;
                }

                if (Problem(x, "c") is { } problem) Violation($"counter {k}: {problem}");
                if (x.Value < floor) Violation($"counter {k}: read {x.Value}, but {floor} had been acknowledged before the read began");
                if (x.Value < _seen[k]) Violation($"counter {k}: read {x.Value} after this process had seen {_seen[k]}");
                _seen[k] = Math.Max(_seen[k], x.Value);
            }
        }

        private void Lifecycle(SessionStorageConnector c, StressBoard board, int l)
        {
            string id = lifecycles[l];
            long deleted = board.Read(StressTable.Deleted, l, 0);
            int roll = _rng.Next(10);
            if (l == me && roll < 2)
            {
                // Only the owner deletes: once Delete returns, nothing can bring the generation back.
                long generation = board.Read(StressTable.Generation, l, 0);
                c.Delete(id);
                board.Write(StressTable.Deleted, l, 0, generation);
                _deletes++;
                if (c.Get<Counter>(id) is { } back) Violation($"lifecycle key {l}: read generation {GenerationOf(back)} right after deleting {generation}");
                return;
            }

            if (l == me && roll < 4)
            {
                if (c.Get<Counter>(id) is not null) return;
                // Published before the write: a reader may see it any time from now.
                long generation = board.Read(StressTable.Generation, l, 0) + 1;
                board.Write(StressTable.Generation, l, 0, generation);
                int size = _rng.Next(4) == 0 ? _rng.Next(4_100, 12_000) : SmallSize();
                if (!c.Set(id, Record("g" + generation.ToString(CultureInfo.InvariantCulture), 0, size))) Violation($"lifecycle key {l}: its owner's re-create lost to a delete nobody made");
                _creates++;
                return;
            }

            if (roll < 7)
            {
                bool grow = _rng.Next(4) == 0;
                int small = SmallSize();
                long generation = 0;
                string? problem = null;
                bool ok = c.Update<Counter>(id, x =>
                {
                    problem = Problem(x, null);
                    generation = GenerationOf(x);
                    x.Value++;
                    x.Log[^1] = Filler(x.Value, grow ? Grown(x.Log[^1].Length) : small);
                });
                if (problem is not null) Violation($"lifecycle key {l} read for an update: {problem}");
                if (!ok) return; // deleted: an update of an absent session writes nothing
                if (generation <= deleted) Violation($"lifecycle key {l}: an update was acknowledged on generation {generation}, deleted as of {deleted} before it began");
                long on = board.Read(StressTable.AckedGeneration, l, me);
                if (generation < on) Violation($"lifecycle key {l}: an update was acknowledged on generation {generation} after one on {on}");
                if (generation != on)
                {
                    board.Write(StressTable.AckedOnGeneration, l, me, 0);
                    board.Write(StressTable.AckedGeneration, l, me, generation);
                }

                board.Increment(StressTable.AckedOnGeneration, l, me);
                _lifecycleUpdates++;
                return;
            }

            Counter? read = c.Get<Counter>(id);
            _reads++;
            if (read is null) return;
            if (Problem(read, null) is { } bad) Violation($"lifecycle key {l}: {bad}");
            if (GenerationOf(read) <= deleted) Violation($"lifecycle key {l}: read generation {GenerationOf(read)}, deleted as of {deleted} before the read began");
        }

        private void Expiring(SessionStorageConnector c, string id)
        {
            if (_rng.Next(3) == 0)
            {
                if (c.Get<Counter>(id) is { } x && Problem(x, "e") is { } problem) Violation("expiring key: " + problem);
                _reads++;
                return;
            }

            // Short lives, often past by the next purge; a Set over an expired record re-creates it.
            c.Set(id, Record("e", _rng.Next(1, 1000), _rng.Next(4) == 0 ? _rng.Next(4_100, 9_000) : SmallSize()), TimeSpan.FromMilliseconds(_rng.Next(20, 200)));
            _expiringWrites++;
        }

        // Mostly fits a 4 KiB slot (an in-place write, also in a grown file: a shrink).
        private int SmallSize() => _rng.Next(4) == 0 ? _rng.Next(1_000, 3_800) : _rng.Next(0, 300);

        // Past the record's current size by more than a slot's worth: it outgrows its slots (a rename) until the cap.
        private int Grown(int current) => current + 4_200 > GrowthCap ? _rng.Next(GrowthCap / 2, GrowthCap) : current + _rng.Next(4_200, 8_000);
    }

    // ---- records -------------------------------------------------------------------------------------------------

    private static readonly byte[] SecondKey = SHA256.HashData("SessionConnector mixed-path stress, key 2"u8);

    /// <summary>The workers' ring: key 1 primary (they seal under it), key 2 held (what rotation re-seals to).</summary>
    private static SessionKeyRing WriterRing() => SessionKeyRing.FromSecret(TestConnectors.Key).AddKey(2, SecondKey);

    private static SessionKeyRing RotatedRing() => WriterRing().SetPrimary(2);

    /// <summary>
    /// A connector over the store: with a cache that would serve a copy for minutes (only the change table makes another
    /// process's write visible), and timeouts long enough for a loaded 2-core machine.
    /// </summary>
    private static SessionStorageConnector Open(string store, bool cache) =>
        new(new FileSessionStorage(store, FileDurability.ProcessCrash),
            new SessionConnectorOptions
            {
                Keys = WriterRing(),
                CacheCapacity = cache ? 4096 : 0,
                CacheMaxAge = TimeSpan.FromMinutes(5),
                StorageTimeout = TimeSpan.FromMinutes(2),
            });

    private static Counter Record(string tag, long value, int size) => new() { Value = value, Log = { tag, Filler(value, size) } };

    /// <summary>What is wrong with a record read (null when it is whole): its tag and its value-derived filler.</summary>
    private static string? Problem(Counter x, string? tag)
    {
        if (x.Log.Count != 2) return $"{x.Log.Count} log entries";
        if (tag is not null ? x.Log[0] != tag : !x.Log[0].StartsWith('g')) return $"tag '{x.Log[0]}'";
        return x.Log[1] == Filler(x.Value, x.Log[1].Length) ? null : $"the filler of value {x.Value} does not match it";
    }

    private static long GenerationOf(Counter x) => long.Parse(x.Log[0].AsSpan(1), CultureInfo.InvariantCulture);

    /// <summary>Letters from a xorshift seeded by the value: incompressible enough, and a mix of two records never matches.</summary>
    private static string Filler(long value, int length) => string.Create(length, value, static (span, v) =>
    {
        ulong s = (ulong)v * 0x9E3779B97F4A7C15UL + 1;
        for (int i = 0; i < span.Length; i++)
        {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            span[i] = (char)('a' + (int)(s % 26));
        }
    });
}
