using System;
using BenchmarkDotNet.Attributes;
using SessionConnector.Protection;
using SessionConnector.Redis;
using SessionConnector.Storage;
using StackExchange.Redis;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Comparison 7: a typed Get over Redis. On a cache miss (connector cache disabled) each Get is one HashGet round trip
/// plus decrypt + decode; the baseline is raw StackExchange.Redis StringGet of the same envelope bytes over the same
/// multiplexer. On a hit the connector's cache answers without touching Redis.
/// Runs only when SESSIONCONNECTOR_REDIS=host:port answers (see <see cref="RedisAvailability"/>).
/// </summary>
[BenchmarkCategory(Categories.Redis)]
[Comparison("7. Redis",
    "Miss: cache disabled, so each Get is a HashGet of the record + decrypt + decode. Hit: the connector's cache answers.")]
public class RedisBenchmarks
{
    private RedisSessionStorage _missStorage = null!;
    private SessionStorageConnector _miss = null!;
    private SessionStorageConnector _hit = null!;
    private IDatabase _db = null!;
    private RedisKey _rawKey;
    private string _id = "";

    [GlobalSetup]
    public void Setup()
    {
        string endpoint = RedisAvailability.Endpoint ?? throw new InvalidOperationException(RedisAvailability.Variable + " is not set.");
        string prefix = $"scbench:{Environment.ProcessId}:";
        _id = Shared.SessionIds(1)[0];
        _missStorage = RedisSessionStorage.Connect(endpoint, prefix);
        _miss = new SessionStorageConnector(_missStorage, Shared.Options(cacheCapacity: 0));
        _hit = new SessionStorageConnector(RedisSessionStorage.Connect(endpoint, prefix), Shared.Options());
        _miss.Set(_id, BenchSession.CreateTypical(), TimeSpan.FromHours(1));

        using SessionKeyRing ring = Shared.Keys();
        using var protector = new SessionProtector(ring);
        byte[] envelope = _missStorage.Read(protector.DeriveStorageKey(_id))?.Value
            ?? throw new InvalidOperationException("The record was not written.");
        _db = _missStorage.Multiplexer.GetDatabase();
        _rawKey = prefix + "raw";
        _db.StringSet(_rawKey, envelope, TimeSpan.FromHours(1));

        if (_miss.Get<BenchSession>(_id) is null || _hit.Get<BenchSession>(_id) is null || Raw_StringGet() is null)
        {
            throw new InvalidOperationException("A contender did not read the session.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _db.KeyDelete(_rawKey);
        _miss.Clear();
        _miss.Dispose();
        _hit.Dispose();
    }

    [Benchmark(Baseline = true)]
    public byte[]? Raw_StringGet() => (byte[]?)_db.StringGet(_rawKey);

    [Benchmark]
    [Target("≤ 1.2×", Note = "raw StackExchange.Redis StringGet of the same bytes")]
    public BenchSession? Connector_Get_Miss() => _miss.Get<BenchSession>(_id);

    [Benchmark]
    public BenchSession? Connector_Get_Hit() => _hit.Get<BenchSession>(_id);
}
