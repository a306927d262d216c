using System;
using System.Diagnostics;
using System.Threading;
using BenchmarkDotNet.Attributes;
using SessionConnector.Caching;
using SessionConnector.Diagnostics;
using SessionConnector.Protection;
using SessionConnector.Serialization;
using SessionConnector.Storage;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Profile of <see cref="SessionStorageConnector.Set{T}"/> on memory storage (informational, issue 18): the full Set
/// is the baseline and each step it performs today is timed alone, so ratios are shares of one Set and
/// Set − SetFloor is what the connector adds to the unavoidable encode + seal. Steps are rebuilt from the same
/// internal types the connector uses (a benchmark cannot reach the connector's private fields).
/// </summary>
[BenchmarkCategory(Categories.SetBreakdown)]
[Comparison("3c. Profile of Set on memory storage (informational)",
    "Each step of SessionStorageConnector.Set timed alone; Ratio is its share of one full Set. SetFloor = EncodePayload + RawSeal (the baseline of comparison 3's Set target). Protect is the product's seal (RawSeal plus the envelope header, the per-epoch nonce counter, the AesGcm pool and the revocation re-check). The steps do not add up exactly (call overhead and the connector's own branches are not listed). See benchmarks/ANALYSIS.md.")]
public class SetBreakdownBenchmarks
{
    private static long s_lastVersion;

    private SessionStorageConnector _connector = null!;
    private SessionKeyRing _ring = null!;
    private SessionProtector _protector = null!;
    private MemorySessionStorage _storage = null!;
    private ConcurrentSieveCache<string, KeyEntry> _storageKeys = null!;
    private SemaphoreSlim[] _gates = null!;
    private SessionMetrics _metrics = null!;
    private FloorSeal _floor = null!;
    private BenchSession _value = null!;
    private byte[] _payload = [];
    private byte[] _envelope = [];
    private string _id = "";
    private string _key = "";
    private long _version = 1;

    private sealed class KeyEntry(string storageKey) : SieveEntry<string>
    {
        public string StorageKey { get; } = storageKey;
    }

    [GlobalSetup]
    public void Setup()
    {
        _value = BenchSession.CreateTypical();
        _id = Shared.SessionIds(1)[0];
        _connector = new SessionStorageConnector(new MemorySessionStorage(), Shared.Options());
        _connector.Set(_id, _value, TimeSpan.FromHours(1));
        _ring = Shared.Keys();
        _protector = new SessionProtector(_ring);
        _key = _protector.DeriveStorageKey(_id);
        _storageKeys = new ConcurrentSieveCache<string, KeyEntry>(4096, StringComparer.Ordinal);
        _storageKeys.Set(_id, new KeyEntry(_key));
        // As the connector: 256 stripes of SemaphoreSlim(1, 1), picked by the storage key's hash.
        _gates = new SemaphoreSlim[256];
        for (int i = 0; i < _gates.Length; i++) _gates[i] = new SemaphoreSlim(1, 1);
        _metrics = new SessionMetrics("memory");
        _floor = new FloorSeal(_id);
        DateTimeOffset expires = DateTimeOffset.UtcNow.AddHours(1);
        _payload = SessionPayload.Encode(_value, SessionFormat.MessagePack, expires, expires).ToArray();
        _envelope = _protector.Protect(_id, 1, _payload);
        _storage = new MemorySessionStorage();
        _storage.TryWrite(_key, _envelope, null, SessionStorage.AnyVersion, _version);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connector.Dispose();
        _protector.Dispose();
        _ring.Dispose();
        _metrics.Dispose();
        _floor.Dispose();
    }

    [Benchmark(Baseline = true)]
    public bool FullSet() => _connector.Set(_id, _value, TimeSpan.FromHours(1));

    [Benchmark]
    public byte[] SetFloor() => _floor.EncodeAndSeal(_value);

    /// <summary>Argument checks and the expiry's clock read (EnsureOpen, SessionIds.Validate, ValidateExpiry, now + expiry).</summary>
    [Benchmark]
    public DateTimeOffset ValidateAndExpiry()
    {
        if (!SessionIds.IsValid(_id)) throw new InvalidOperationException();
        return TimeProvider.System.GetUtcNow() + TimeSpan.FromHours(1);
    }

    /// <summary>The memoised storage key: a SIEVE hit (the keyed hash itself runs once per ID, see DeriveStorageKey).</summary>
    [Benchmark]
    public string StorageKeyLookup() => _storageKeys.TryGet(_id, out KeyEntry? e) ? e.StorageKey : "";

    /// <summary>The keyed hash a storage-key cache miss pays (informational: not on a repeated Set).</summary>
    [Benchmark]
    public string DeriveStorageKey() => _protector.DeriveStorageKey(_id);

    [Benchmark]
    public int EncodePayload() => SessionPayload.Encode(_value, SessionFormat.MessagePack, DateTimeOffset.MaxValue, DateTimeOffset.MaxValue).Length;

    /// <summary>One AES-256-GCM seal of the encoded bytes into a new envelope-sized array: the floor's cipher half.</summary>
    [Benchmark]
    public byte[] RawSeal() => _floor.Seal(_payload);

    [Benchmark]
    public byte[] Protect() => _protector.Protect(_id, 1, _payload);

    /// <summary>The per-session writer gate: hash of the 43-char storage key, uncontended SemaphoreSlim Wait + Release.</summary>
    [Benchmark]
    public int UpdateGate()
    {
        SemaphoreSlim gate = _gates[(uint)StringComparer.Ordinal.GetHashCode(_key) % (uint)_gates.Length];
        gate.Wait();
        gate.Release();
        return 0;
    }

    /// <summary>The version clock: a clock read and a compare-and-swap on the process-wide last version.</summary>
    [Benchmark]
    public long NextVersion()
    {
        long floor = Math.Max(_version + 1, TimeProvider.System.GetUtcNow().UtcTicks);
        while (true)
        {
            long last = Volatile.Read(ref s_lastVersion);
            long next = Math.Max(floor, last + 1);
            if (Interlocked.CompareExchange(ref s_lastVersion, next, last) == last) return next;
        }
    }

    /// <summary>Storage metrics of one Set: two timestamps and two tagged counter adds (read and write).</summary>
    [Benchmark]
    public int Metrics()
    {
        _metrics.StorageOperation("read", Stopwatch.GetTimestamp());
        _metrics.StorageOperation("write", Stopwatch.GetTimestamp());
        return 0;
    }

    [Benchmark]
    public bool StorageReadThenWrite()
    {
        StoredRecord? current = _storage.Read(_key);
        return _storage.TryWrite(_key, _envelope, null, current?.Version ?? SessionStorage.Absent, ++_version);
    }
}
