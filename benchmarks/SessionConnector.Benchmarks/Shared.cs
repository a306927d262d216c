using System;
using System.IO;
using System.Threading;
using SessionConnector.Storage;

namespace SessionConnector.Benchmarks;

internal static class Shared
{
    /// <summary>A fixed 32-byte secret so every run encrypts under the same key ring shape.</summary>
    public static SessionKeyRing Keys() => SessionKeyRing.FromSecret(FixedSecret);

    public static readonly byte[] FixedSecret = CreateSecret();

    private static byte[] CreateSecret()
    {
        var b = new byte[32];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)(i * 7 + 3);
        return b;
    }

    /// <summary>Deterministic session IDs in the product's format (43 base64url characters).</summary>
    public static string[] SessionIds(int count, int seed = 12345)
    {
        var rng = new Random(seed);
        var ids = new string[count];
        Span<byte> raw = stackalloc byte[32];
        for (int i = 0; i < count; i++)
        {
            rng.NextBytes(raw);
            ids[i] = Convert.ToBase64String(raw).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }

        return ids;
    }

    public static SessionConnectorOptions Options(int cacheCapacity = 4096) => new()
    {
        Keys = Keys(),
        CacheCapacity = cacheCapacity,
        CacheMaxAge = TimeSpan.FromHours(1),
        Warn = _ => { },
    };

    /// <summary>A scratch directory for file benchmarks (on the same file system as the artifacts, i.e. the work tree).</summary>
    public static string ScratchDirectory(string name)
    {
        string root = Environment.GetEnvironmentVariable("SESSIONCONNECTOR_BENCH_DIR")
            ?? Path.Combine(Path.GetTempPath(), "sessionconnector-bench");
        string dir = Path.Combine(root, name + "-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>
/// Memory storage that does not call itself in-memory, so the connector puts its cache in front of it. This is how
/// a cache hit is measured without a network or disk: the connector behaves exactly as over file or Redis storage.
/// </summary>
internal sealed class RemoteLikeStorage : SessionStorage
{
    private readonly MemorySessionStorage _inner = new();

    public override string Kind => "remote-like";

    public override StoredRecord? Read(string key) => _inner.Read(key);

    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion) =>
        _inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);

    public override bool Delete(string key) => _inner.Delete(key);

    public override void Clear() => _inner.Clear();
}

/// <summary>Zipf(s) over ranks 1..n by inverse CDF; deterministic for a seed.</summary>
internal sealed class Zipf
{
    private readonly double[] _cdf;
    private readonly Random _rng;

    public Zipf(int n, double s, int seed)
    {
        _cdf = new double[n];
        double sum = 0;
        for (int k = 1; k <= n; k++) sum += 1.0 / Math.Pow(k, s);
        double acc = 0;
        for (int k = 1; k <= n; k++)
        {
            acc += 1.0 / Math.Pow(k, s) / sum;
            _cdf[k - 1] = acc;
        }

        _rng = new Random(seed);
    }

    /// <summary>A rank in [0, n).</summary>
    public int Next()
    {
        double u = _rng.NextDouble();
        int i = Array.BinarySearch(_cdf, u);
        if (i < 0) i = ~i;
        return Math.Min(i, _cdf.Length - 1);
    }

    /// <summary>A stream of indexes into a key table, ranks scattered by a fixed permutation.</summary>
    public static int[] Stream(int universe, double s, int length, int seed)
    {
        var z = new Zipf(universe, s, seed);
        int[] perm = new int[universe];
        for (int i = 0; i < universe; i++) perm[i] = i;
        new Random(seed ^ 0x5bd1e995).Shuffle(perm);
        int[] stream = new int[length];
        for (int i = 0; i < length; i++) stream[i] = perm[z.Next()];
        return stream;
    }
}

/// <summary>
/// Runs a body on N threads (the caller plus N-1 parked helpers) without allocating per run, so a 2-thread
/// benchmark measures the operation, not thread start-up, and [MemoryDiagnoser] still sees 0 B for 0-B operations.
/// </summary>
internal sealed class ParallelRunner : IDisposable
{
    private readonly Thread[] _helpers;
    private readonly Action<int> _body;
    private int _generation;
    private int _pending;
    private volatile bool _stop;

    public ParallelRunner(int threads, Action<int> body)
    {
        _body = body;
        _helpers = new Thread[threads - 1];
        for (int i = 0; i < _helpers.Length; i++)
        {
            int index = i + 1;
            _helpers[i] = new Thread(() => HelperLoop(index)) { IsBackground = true, Name = "bench-helper-" + index };
            _helpers[i].Start();
        }
    }

    public int Threads => _helpers.Length + 1;

    public void Run()
    {
        if (_helpers.Length == 0)
        {
            _body(0);
            return;
        }

        Volatile.Write(ref _pending, _helpers.Length);
        Interlocked.Increment(ref _generation);
        _body(0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
    }

    private void HelperLoop(int index)
    {
        int seen = 0;
        while (true)
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _generation) == seen)
            {
                if (_stop) return;
                spin.SpinOnce(sleep1Threshold: 200);
            }

            seen = Volatile.Read(ref _generation);
            _body(index);
            Interlocked.Decrement(ref _pending);
        }
    }

    public void Dispose()
    {
        _stop = true;
        foreach (Thread t in _helpers) t.Join();
    }
}
