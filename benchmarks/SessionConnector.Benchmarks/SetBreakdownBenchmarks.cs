using System;
using BenchmarkDotNet.Attributes;
using SessionConnector.Protection;
using SessionConnector.Serialization;
using SessionConnector.Storage;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Profile for comparison 3b (informational): the steps <see cref="SessionStorageConnector.Set{T}"/> performs on
/// memory storage, each timed alone, so a miss of the Set target can be attributed. The full Set is the baseline.
/// </summary>
[BenchmarkCategory(Categories.SetBreakdown)]
public class SetBreakdownBenchmarks
{
    private SessionStorageConnector _connector = null!;
    private SessionKeyRing _ring = null!;
    private SessionProtector _protector = null!;
    private MemorySessionStorage _storage = null!;
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
        _payload = SessionPayload.Encode(_value, SessionFormat.MessagePack, DateTimeOffset.UtcNow.AddHours(1), DateTimeOffset.UtcNow.AddHours(1)).ToArray();
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
    }

    [Benchmark(Baseline = true)]
    public bool FullSet() => _connector.Set(_id, _value, TimeSpan.FromHours(1));

    [Benchmark]
    public string DeriveStorageKey() => _protector.DeriveStorageKey(_id);

    [Benchmark]
    public int EncodePayload() => SessionPayload.Encode(_value, SessionFormat.MessagePack, DateTimeOffset.UtcNow.AddHours(1), DateTimeOffset.UtcNow.AddHours(1)).Length;

    [Benchmark]
    public byte[] Protect() => _protector.Protect(_id, 1, _payload);

    [Benchmark]
    public BenchSession DeepClone() => Clone(_value);

    [Benchmark]
    public bool StorageReadThenWrite()
    {
        StoredRecord? current = _storage.Read(_key);
        return _storage.TryWrite(_key, _envelope, null, current?.Version ?? SessionStorage.Absent, ++_version);
    }

    private static T Clone<T>(T value) where T : ISessionData<T> => T.DeepClone(value);
}
