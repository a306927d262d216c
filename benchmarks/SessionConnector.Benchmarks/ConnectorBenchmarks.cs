using System;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using System.IO;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SessionConnector.Storage;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Comparison 3: a typed session read and write through <see cref="SessionStorageConnector"/> against what an
/// ASP.NET Core app does per request: a <see cref="DistributedSession"/> over <see cref="MemoryDistributedCache"/>
/// holding the object as System.Text.Json (source-generated) bytes under one key.
/// </summary>
/// <remarks>
/// Get (cache hit): the connector sits over storage that does not call itself in-memory, so its SIEVE cache answers
/// and the caller gets a deep copy. Get (memory storage): the memory backend bypasses the cache, so every read is a
/// storage read + AES-GCM decrypt + decode. DistributedSession never caches across requests: each request loads
/// the session dictionary from the distributed cache and the app deserializes the JSON value.
/// Read (issue 18, read without copying): <see cref="SessionStorageConnector.TryRead{TView}"/> hands out a read-only view
/// of the cached snapshot; its baseline is what a game server would write by hand, a ConcurrentDictionary of live objects.
/// Set: the connector encrypts (AES-256-GCM) and compare-and-sets; DistributedSession stores plaintext. Set's
/// baseline is its floor (issue 18): encoding the session plus one AES-GCM seal of those bytes, the work no
/// encrypted Set can skip.
/// </remarks>
[BenchmarkCategory(Categories.Connector)]
[Comparison("3. Typed session Get and Set",
    "Get, cache hit: connector over storage that is not in-memory, so the SIEVE cache answers and returns a deep copy. Get, memory storage: the memory backend bypasses the cache, so each Get is storage read + AES-GCM decrypt + decode (informational). Get baseline: a new DistributedSession per request over MemoryDistributedCache, LoadAsync, TryGetValue, STJ source-gen deserialize. "
    + "Read baseline: ConcurrentDictionary<string, BenchSession>.TryGetValue + one field read; connector TryRead<BenchSession.View> (cache hit, a read-only view of the cached snapshot, no copy) + the same field read. "
    + "Set baseline (SetFloor): the session encoded as Set encodes it (17-byte header + MessagePack) and sealed once with a reused AesGcm (counter nonce, the envelope's AAD, a fresh output array as a stored record needs). Connector Set: validate, storage key (memoised keyed hash), encode, seal, version, compare-and-set into memory storage, metrics. DistributedSession: LoadAsync + Set(STJ bytes) + CommitAsync, plaintext; _DataProtected: the same with IDataProtector.Protect over the JSON, i.e. what ASP.NET Core costs for an encrypted value like the connector's.")]
public class ConnectorBenchmarks
{
    private const string DataKey = "data";

    private SessionStorageConnector _cached = null!;
    private SessionStorageConnector _memory = null!;
    private MemoryDistributedCache _distributed = null!;
    private BenchSession _value = null!;
    private string _id = "";
    private string _aspNetKey = "";
    private NullLoggerFactory _loggers = null!;
    private IDataProtector _dataProtector = null!;
    private string _keyDirectory = "";
    private FloorSeal _floor = null!;
    private ConcurrentDictionary<string, BenchSession> _live = null!;

    [GlobalSetup]
    public void Setup()
    {
        _value = BenchSession.CreateTypical();
        _id = Shared.SessionIds(1)[0];
        _aspNetKey = Guid.NewGuid().ToString();
        _cached = new SessionStorageConnector(new RemoteLikeStorage(), Shared.Options());
        _memory = new SessionStorageConnector(new MemorySessionStorage(), Shared.Options());
        _cached.Set(_id, _value, TimeSpan.FromHours(1));
        _memory.Set(_id, _value, TimeSpan.FromHours(1));
        _loggers = NullLoggerFactory.Instance;
        _distributed = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        _keyDirectory = Shared.ScratchDirectory("connector-dataprotection-keys");
        _dataProtector = DataProtectionProvider.Create(new DirectoryInfo(_keyDirectory)).CreateProtector("SessionConnector.Benchmarks.Session");
        AspNetSet().GetAwaiter().GetResult();
        _floor = new FloorSeal(_id);
        _live = new ConcurrentDictionary<string, BenchSession>(StringComparer.Ordinal) { [_id] = _value };

        if (_cached.Get<BenchSession>(_id)?.UserId != _value.UserId
            || _memory.Get<BenchSession>(_id)?.UserId != _value.UserId
            || AspNetGet().GetAwaiter().GetResult()?.UserId != _value.UserId
            || Connector_TryRead_View() != _value.UserId
            || Dictionary_TryGetValue() != _value.UserId)
        {
            throw new InvalidOperationException("A contender did not round-trip the session.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cached.Dispose();
        _memory.Dispose();
        _floor.Dispose();
        try { Directory.Delete(_keyDirectory, recursive: true); } catch (IOException) { }
    }

    [Benchmark(Baseline = true), BenchmarkCategory(Categories.ConnectorGet)]
    public Task<BenchSession?> AspNetDistributedSession_Get() => AspNetGet();

    [Benchmark, BenchmarkCategory(Categories.ConnectorGet)]
    [Target("≤ 0.2×", Note = "≥ 5× faster than DistributedSession + STJ")]
    public BenchSession? Connector_Get_CacheHit() => _cached.Get<BenchSession>(_id);

    [Benchmark, BenchmarkCategory(Categories.ConnectorGet)]
    public BenchSession? Connector_Get_MemoryStorage() => _memory.Get<BenchSession>(_id);

    /// <summary>The hand-written alternative: live objects in a ConcurrentDictionary (no expiry, no encryption, no isolation).</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(Categories.ConnectorRead)]
    public long Dictionary_TryGetValue() => _live.TryGetValue(_id, out BenchSession? s) ? s.UserId : 0;

    [Benchmark, BenchmarkCategory(Categories.ConnectorRead)]
    [Target("≤ 1.5×", Note = "issue 18: read without copying")]
    [Target("0 B")]
    public long Connector_TryRead_View() => _cached.TryRead(_id, out BenchSession.View v) ? v.UserId : 0;

    /// <summary>Set's floor (see <see cref="FloorSeal"/>): encode as Set does, then one AES-256-GCM seal.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(Categories.ConnectorSet)]
    public byte[] SetFloor() => _floor.EncodeAndSeal(_value);

    [Benchmark, BenchmarkCategory(Categories.ConnectorSet)]
    public Task AspNetDistributedSession_Set() => AspNetSet();

    [Benchmark, BenchmarkCategory(Categories.ConnectorSet)]
    [Target("≤ 1.15×", Note = "issue 18: Set near its floor")]
    [Target("≤ 1.0×", Versus = nameof(AspNetDistributedSession_Set), Note = "no slower than plaintext DistributedSession + STJ")]
    public bool Connector_Set_MemoryStorage() => _memory.Set(_id, _value, TimeSpan.FromHours(1));

    /// <summary>Informational: the ASP.NET Core way to get what the connector gives (an encrypted value): Data Protection over the JSON bytes.</summary>
    [Benchmark, BenchmarkCategory(Categories.ConnectorSet)]
    public Task AspNetDistributedSession_Set_DataProtected() => AspNetSet(protect: true);

    private DistributedSession NewRequestSession() =>
        new(_distributed, _aspNetKey, TimeSpan.FromMinutes(20), TimeSpan.FromMinutes(1), static () => true, _loggers, isNewSessionKey: false);

    private async Task<BenchSession?> AspNetGet()
    {
        DistributedSession session = NewRequestSession();
        await session.LoadAsync().ConfigureAwait(false);
        return session.TryGetValue(DataKey, out byte[]? bytes)
            ? JsonSerializer.Deserialize(bytes, BenchJsonContext.Default.BenchSession)
            : null;
    }

    private async Task AspNetSet(bool protect = false)
    {
        DistributedSession session = NewRequestSession();
        await session.LoadAsync().ConfigureAwait(false);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(_value, BenchJsonContext.Default.BenchSession);
        session.Set(DataKey, protect ? _dataProtector.Protect(json) : json);
        await session.CommitAsync().ConfigureAwait(false);
    }
}
