using System;
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
/// Set: the connector encrypts (AES-256-GCM) and compare-and-sets; DistributedSession stores plaintext.
/// </remarks>
[BenchmarkCategory(Categories.Connector)]
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

        if (_cached.Get<BenchSession>(_id)?.UserId != _value.UserId
            || _memory.Get<BenchSession>(_id)?.UserId != _value.UserId
            || AspNetGet().GetAwaiter().GetResult()?.UserId != _value.UserId)
        {
            throw new InvalidOperationException("A contender did not round-trip the session.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cached.Dispose();
        _memory.Dispose();
        try { Directory.Delete(_keyDirectory, recursive: true); } catch (IOException) { }
    }

    [Benchmark(Baseline = true), BenchmarkCategory(Categories.ConnectorGet)]
    public Task<BenchSession?> AspNetDistributedSession_Get() => AspNetGet();

    [Benchmark, BenchmarkCategory(Categories.ConnectorGet)]
    public BenchSession? Connector_Get_CacheHit() => _cached.Get<BenchSession>(_id);

    [Benchmark, BenchmarkCategory(Categories.ConnectorGet)]
    public BenchSession? Connector_Get_MemoryStorage() => _memory.Get<BenchSession>(_id);

    [Benchmark(Baseline = true), BenchmarkCategory(Categories.ConnectorSet)]
    public Task AspNetDistributedSession_Set() => AspNetSet();

    [Benchmark, BenchmarkCategory(Categories.ConnectorSet)]
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
