using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Support;

/// <summary>Deterministic structure-blind mutations with a few MessagePack/JSON-aware ones (length inflation, deep nesting).</summary>
internal static class Mutator
{
    private static readonly byte[] Interesting = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xc5, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x91, 0x80, 0x81, 0xa0, 0xbf, (byte)'"', (byte)'\\', (byte)'{', (byte)'[', (byte)'}', (byte)']', (byte)':', (byte)',' };

    private static readonly byte[][] Inflations =
    {
        new byte[] { 0xdd, 0xff, 0xff, 0xff, 0xff }, // array32, 4 G elements
        new byte[] { 0xdf, 0xff, 0xff, 0xff, 0xff }, // map32
        new byte[] { 0xdb, 0xff, 0xff, 0xff, 0xff }, // str32
        new byte[] { 0xc6, 0xff, 0xff, 0xff, 0xff }, // bin32
        new byte[] { 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01 }, // ext32
        new byte[] { 0xdc, 0xff, 0xff },             // array16
        new byte[] { 0xde, 0xff, 0xff },             // map16
        new byte[] { 0xdd, 0x7f, 0xff, 0xff, 0xff },
        new byte[] { 0xdf, 0x80, 0x00, 0x00, 0x00 },  // negative as int32
        new byte[] { 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, // uint64 max
        new byte[] { 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0 }, // int64 min
        new byte[] { 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0 }, // NaN
        "1e999999"u8.ToArray(),
        "-99999999999999999999999"u8.ToArray(),
        "\"\\ud800\""u8.ToArray(),
        "\"\\u0000\""u8.ToArray(),
        "\"\\uZZZZ\""u8.ToArray(),
        "null"u8.ToArray(),
        "{\"Value\":\"x\"}"u8.ToArray(),
        "{\"Log\":[1,2]}"u8.ToArray(),
        new byte[] { 0xa5, (byte)'V', (byte)'a', (byte)'l', (byte)'u', (byte)'e', 0xc0 }, // "Value": nil
        new byte[] { 0xa3, (byte)'L', (byte)'o', (byte)'g', 0x91, 0x01 },                // "Log": [1]
        new byte[] { 0xed, 0xa0, 0x80 },  // UTF-8 encoded surrogate
        new byte[] { 0xc0, 0xaf },        // overlong '/'
    };

    public static byte[] Mutate(Random rng, IReadOnlyList<byte[]> seeds, int protectPrefix = 0)
    {
        byte[] input = seeds[rng.Next(seeds.Count)];
        var data = new List<byte>(input);
        int rounds = 1 + (rng.Next(4) == 0 ? rng.Next(4) : 0);
        for (int r = 0; r < rounds; r++)
        {
            int lo = Math.Min(protectPrefix, data.Count);
            int Pos(bool end = true) => lo + rng.Next(data.Count - lo + (end ? 1 : 0));
            switch (rng.Next(10))
            {
                case 0: // flip 1..4 bits
                    if (data.Count <= lo) goto case 3;
                    for (int k = 1 + rng.Next(4); k > 0; k--)
                    {
                        int p = Pos(false);
                        data[p] ^= (byte)(1 << rng.Next(8));
                    }

                    break;
                case 1: // set an interesting byte
                    if (data.Count <= lo) goto case 3;
                    data[Pos(false)] = Interesting[rng.Next(Interesting.Length)];
                    break;
                case 2: // random byte
                    if (data.Count <= lo) goto case 3;
                    data[Pos(false)] = (byte)rng.Next(256);
                    break;
                case 3: // insert random bytes
                {
                    byte[] ins = new byte[1 + rng.Next(rng.Next(2) == 0 ? 4 : 64)];
                    rng.NextBytes(ins);
                    data.InsertRange(Pos(), ins);
                    break;
                }

                case 4: // delete a range
                    if (data.Count <= lo) goto case 3;
                {
                    int p = Pos(false);
                    data.RemoveRange(p, Math.Min(data.Count - p, 1 + rng.Next(rng.Next(2) == 0 ? 4 : 64)));
                    break;
                }

                case 5: // splice with another seed
                {
                    byte[] other = seeds[rng.Next(seeds.Count)];
                    int cut = Pos();
                    int from = rng.Next(other.Length + 1);
                    data.RemoveRange(cut, data.Count - cut);
                    data.AddRange(other.AsSpan(from).ToArray());
                    break;
                }

                case 6: // length-prefix inflation / hostile token
                {
                    byte[] token = Inflations[rng.Next(Inflations.Length)];
                    int p = Pos();
                    if (rng.Next(2) == 0 && p + token.Length <= data.Count)
                    {
                        for (int i = 0; i < token.Length; i++) data[p + i] = token[i];
                    }
                    else
                    {
                        data.InsertRange(p, token);
                    }

                    break;
                }

                case 7: // deep nesting
                {
                    int depth = rng.Next(4) switch { 0 => 70, 1 => 200, 2 => 1000, _ => rng.Next(2, 5000) };
                    byte[] unit = rng.Next(5) switch
                    {
                        0 => new byte[] { 0x91 },                         // fixarray(1)
                        1 => new byte[] { 0x81, 0xa1, (byte)'a' },        // fixmap(1) "a":
                        2 => "["u8.ToArray(),
                        3 => "{\"a\":"u8.ToArray(),
                        _ => new byte[] { 0xdc, 0x00, 0x01 },             // array16(1)
                    };
                    var nest = new byte[unit.Length * depth];
                    for (int i = 0; i < depth; i++) unit.CopyTo(nest, i * unit.Length);
                    data.InsertRange(Pos(), nest);
                    break;
                }

                case 8: // duplicate a chunk
                {
                    if (data.Count <= lo) goto case 3;
                    int p = Pos(false);
                    int n = Math.Min(data.Count - p, 1 + rng.Next(32));
                    byte[] chunk = data.GetRange(p, n).ToArray();
                    data.InsertRange(Pos(), chunk);
                    break;
                }

                default: // truncate
                {
                    int keep = lo + rng.Next(Math.Max(1, data.Count - lo));
                    if (keep < data.Count) data.RemoveRange(keep, data.Count - keep);
                }

                    break;
            }
        }

        return data.ToArray();
    }
}

/// <summary>
/// Runs a fuzz target over deterministic mutations on a worker thread, with a watchdog for hangs, and records the time and
/// allocation of every input. Failures name the seed and input index; rerun with SESSIONCONNECTOR_FUZZ_SEED to reproduce.
/// </summary>
internal static class FuzzHarness
{
    public const int DefaultSeed = 20261125;

    public static readonly TimeSpan PerInputLimit = TimeSpan.FromSeconds(1);

    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("SESSIONCONNECTOR_FUZZ_SEED"), out int s) ? s : DefaultSeed;

    public static int Inputs => LongMode.Pick(10_000, 1_000_000);

    /// <summary>The unexpected exceptions of <paramref name="target"/>; it returns a short outcome label per input.</summary>
    public static void Run(ITestOutputHelper output, string name, IReadOnlyList<byte[]> seeds, Func<byte[], string> target, int protectPrefix = 0, int? inputs = null)
    {
        int count = inputs ?? Inputs;
        int seed = Seed;
        var outcomes = new Dictionary<string, int>();
        var failures = new List<string>();
        long maxTicks = 0, maxAllocated = 0, worstAllocRatio = 0, totalBytes = 0;
        int maxTimeIndex = -1;
        byte[]? current = null;
        int currentIndex = -1;
        long currentStart = 0;
        Exception? crash = null;

        // Warm up on the unmutated seeds (JIT, pools, caches); every seed must be accepted without an exception.
        foreach (byte[] s in seeds) target(s);

        var worker = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < count; i++)
                {
                    var rng = new Random(unchecked(seed * 1_000_003 + i));
                    byte[] input = Mutator.Mutate(rng, seeds, protectPrefix);
                    totalBytes += input.Length;
                    Volatile.Write(ref current, input);
                    Volatile.Write(ref currentStart, Stopwatch.GetTimestamp());
                    Volatile.Write(ref currentIndex, i);
                    long allocBefore = GC.GetAllocatedBytesForCurrentThread();
                    long start = Stopwatch.GetTimestamp();
                    string outcome;
                    try
                    {
                        outcome = target(input);
                    }
                    catch (Exception e)
                    {
                        outcome = "UNEXPECTED " + e.GetType().Name;
                        if (failures.Count < 5) failures.Add($"input {i} (seed {seed}, {input.Length} bytes {Hex(input)}): {e}");
                    }

                    long ticks = Stopwatch.GetTimestamp() - start;
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - allocBefore;
                    if (ticks > maxTicks)
                    {
                        maxTicks = ticks;
                        maxTimeIndex = i;
                    }

                    maxAllocated = Math.Max(maxAllocated, allocated);
                    long budget = 64L * input.Length + (1 << 20);
                    if (allocated > budget && failures.Count < 5) failures.Add($"input {i} (seed {seed}) allocated {allocated:N0} bytes for {input.Length} input bytes (budget {budget:N0}): {Hex(input)}");
                    worstAllocRatio = Math.Max(worstAllocRatio, allocated / Math.Max(1, input.Length));
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                }
            }
            catch (Exception e)
            {
                crash = e;
            }
        }) { IsBackground = true, Name = "fuzz " + name };

        long runStart = Stopwatch.GetTimestamp();
        worker.Start();
        while (!worker.Join(100))
        {
            long started = Volatile.Read(ref currentStart);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > PerInputLimit * 10)
            {
                byte[]? stuck = Volatile.Read(ref current);
                Assert.Fail($"{name}: input {Volatile.Read(ref currentIndex)} (seed {seed}) has run for more than {(PerInputLimit * 10).TotalSeconds} s: {(stuck is null ? "" : Hex(stuck))}");
            }
        }

        if (crash is not null) throw new InvalidOperationException($"{name}: the harness failed (seed {seed})", crash);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(runStart);
        int unexpected = outcomes.Where(p => p.Key.StartsWith("UNEXPECTED", StringComparison.Ordinal)).Sum(p => p.Value);
        TimeSpan max = Stopwatch.GetElapsedTime(0, maxTicks);
        output.WriteLine($"{name}: {count:N0} inputs (seed {seed}, {totalBytes / Math.Max(1, count)} bytes avg), {unexpected} unexpected exceptions, " +
                         $"max {max.TotalMilliseconds:F2} ms/input (input {maxTimeIndex}), max {maxAllocated:N0} bytes allocated/input, {elapsed.TotalSeconds:F1} s total");
        output.WriteLine("  outcomes: " + string.Join(", ", outcomes.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:N0}")));
        foreach (string f in failures) output.WriteLine("  FAIL " + f);
        Assert.True(failures.Count == 0, $"{name}: {failures.Count} failing inputs, first: {failures.FirstOrDefault()}");
        if (max >= PerInputLimit)
        {
            // One slow input on a loaded machine can be a scheduler or fsync stall rather than the input's own cost: time the
            // same input again, alone, three times. An input whose best run is still over the limit is slow by itself.
            byte[] slowest = Mutator.Mutate(new Random(unchecked(seed * 1_000_003 + maxTimeIndex)), seeds, protectPrefix);
            TimeSpan best = TimeSpan.MaxValue;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    target(slowest);
                }
                catch (Exception)
                {
                    // Already recorded as a failure above when it was unexpected; only the time matters here.
                }

                TimeSpan took = Stopwatch.GetElapsedTime(start);
                if (took < best) best = took;
            }

            output.WriteLine($"  slowest input {maxTimeIndex} took {max.TotalMilliseconds:F0} ms in the run, {best.TotalMilliseconds:F0} ms at best of 3 re-runs");
            Assert.True(best < PerInputLimit, $"{name}: input {maxTimeIndex} (seed {seed}) took {max.TotalMilliseconds:F0} ms and {best.TotalMilliseconds:F0} ms at best of 3 re-runs; the limit is {PerInputLimit.TotalMilliseconds} ms");
        }
    }

    public static string Hex(byte[] bytes) => bytes.Length <= 256 ? Convert.ToHexString(bytes) : Convert.ToHexString(bytes, 0, 256) + $"...(+{bytes.Length - 256})";
}
