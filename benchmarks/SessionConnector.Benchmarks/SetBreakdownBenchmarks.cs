using System;
using System.Security.Cryptography;
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
    "Each step of SessionStorageConnector.Set timed alone; Ratio is its share of one full Set. SetFloor = EncodePayload + RawSeal (the baseline of comparison 3's Set target). Protect is the product's seal (RawSeal plus the envelope header, the per-epoch nonce counter, the AesGcm pool and the revocation re-check); the Protect* rows time those parts alone. The steps do not add up exactly (call overhead and the connector's own branches are not listed). See benchmarks/ANALYSIS.md.")]
public class SetBreakdownBenchmarks
{

    private SessionStorageConnector _connector = null!;
    private SessionKeyRing _ring = null!;
    private SessionProtector _protector = null!;
    private MemorySessionStorage _storage = null!;
    private IdMemo<StorageKeyEntry> _storageKeys = null!;
    private SessionConnector.Internal.PaddedGate[] _gates = null!;
    private int _stripe;
    private InstancePool<AesGcm> _ciphers = null!;
    private long _counter;
    private long _nowTicks;
    private SessionMetrics _metrics = null!;
    private FloorSeal _floor = null!;
    private BenchSession _value = null!;
    private byte[] _payload = [];
    private byte[] _envelope = [];
    private string _id = "";
    private string _key = "";
    private long _version = 1;

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
        _storageKeys = new IdMemo<StorageKeyEntry>(4096);
        _storageKeys.Add(new StorageKeyEntry(_id, IdMemo<StorageKeyEntry>.Hash(_id), _key));
        // As the connector: Stripes.Count padded gates; the stripe is hashed once per ID and kept with its storage key.
        _gates = new SessionConnector.Internal.PaddedGate[SessionConnector.Internal.Stripes.Count];
        for (int i = 0; i < _gates.Length; i++) _gates[i] = new SessionConnector.Internal.PaddedGate();
        _stripe = SessionConnector.Internal.Stripes.Of(_key);
        _ciphers = new InstancePool<AesGcm>(() => new AesGcm(Shared.FixedSecret, EnvelopeFormat.TagSize));
        _nowTicks = DateTimeOffset.UtcNow.UtcTicks;
        _metrics = new SessionMetrics("memory");
        _floor = new FloorSeal(_id);
        DateTimeOffset expires = DateTimeOffset.UtcNow.AddHours(1);
        _payload = SessionPayload.Encode(_value, SessionFormat.MessagePack, expires, expires).ToArray();
        _envelope = _protector.Protect(_id, 1, _payload);
        _storage = new MemorySessionStorage();
        _storage.TryWrite(_key, _envelope, expires, SessionStorage.AnyVersion, _version);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connector.Dispose();
        _protector.Dispose();
        _ring.Dispose();
        _metrics.Dispose();
        _floor.Dispose();
        _ciphers.Dispose();
    }

    [Benchmark(Baseline = true)]
    public bool FullSet() => _connector.Set(_id, _value, TimeSpan.FromHours(1));

    [Benchmark]
    public byte[] SetFloor() => _floor.EncodeAndSeal(_value);

    /// <summary>Argument checks and the one clock read of a Set (EnsureOpen, SessionIds.Validate, ValidateExpiry, now + expiry; the version floor reuses it).</summary>
    [Benchmark]
    public DateTimeOffset ValidateAndExpiry()
    {
        if (!SessionIds.IsValid(_id)) throw new InvalidOperationException();
        return TimeProvider.System.GetUtcNow() + TimeSpan.FromHours(1);
    }

    /// <summary>The memoised storage key: a memo hit (the keyed hash itself runs once per ID, see DeriveStorageKey).</summary>
    [Benchmark]
    public string StorageKeyLookup() => _storageKeys.TryGet(_id, IdMemo<StorageKeyEntry>.Hash(_id), out StorageKeyEntry? e) ? e.StorageKey : "";

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

    /// <summary>The per-session writer gate: the stripe kept with the storage key, uncontended PaddedGate enter + exit (one CAS each).</summary>
    [Benchmark]
    public int UpdateGate()
    {
        SessionConnector.Internal.PaddedGate gate = _gates[_stripe];
        if (!gate.TryEnter()) throw new InvalidOperationException("The benchmark's gate is never contended.");
        gate.Exit();
        return 0;
    }

    /// <summary>The version clock: a compare-and-swap on the key's stripe line (the clock reading is the expiry's).</summary>
    [Benchmark]
    public long NextVersion() => SessionConnector.Records.RecordVersions.Next(_version, _nowTicks, _stripe);

    [Benchmark]
    public int Metrics()
    {
        _metrics.StorageOperation("read", _metrics.StartStorageOperation());
        _metrics.StorageOperation("write", _metrics.StartStorageOperation());
        return 0;
    }

    /// <summary>
    /// The memory store's version read, then its compare-and-set write of the envelope the connector hands over (no copy), both
    /// judging expiry by the Set's clock reading (the record has an expiry, as a Set with one writes it).
    /// </summary>
    [Benchmark]
    public bool StorageReadThenWrite()
    {
        var now = new DateTimeOffset(_nowTicks, TimeSpan.Zero);
        long current = _storage.ReadVersion(_key, now);
        return _storage.TryWriteOwned(_key, _envelope, now.AddHours(1), current, ++_version, now);
    }

    /// <summary>Inside Protect: the epoch check (wall minus monotonic clock against the epoch's, for snapshot restores) and the nonce counter.</summary>
    [Benchmark]
    public long ProtectEpochCheck()
    {
        long offset = TimeProvider.System.GetUtcNow().UtcTicks - Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
        return Math.Abs(offset - _nowTicks) + Interlocked.Increment(ref _counter);
    }

    /// <summary>Inside Protect: renting the epoch's AesGcm from its pool and returning it (two interlocked operations).</summary>
    [Benchmark]
    public int ProtectCipherPool()
    {
        AesGcm gcm = _ciphers.Rent();
        _ciphers.Return(gcm);
        return 0;
    }

    /// <summary>Inside Protect, after the seal (fail-closed, kept): the full fence before the disposed flag, and the revocation re-check of the key id.</summary>
    [Benchmark]
    public bool ProtectFenceAndRecheck()
    {
        Interlocked.MemoryBarrier();
        return _ring.GetKey(_ring.PrimaryKeyId) is null;
    }
}
