using System;
using System.Threading;
using SessionConnector.Storage;

namespace SessionConnector.Tests.Support;

/// <summary>
/// A decorator over a real backend that is not "in memory" (so the connector caches in front of it), optionally raises
/// invalidations like a shared backend, and runs a hook after a read returned: the place where another node's change
/// lands while a read is in flight. Only the sync members are overridden; the async ones default to them.
/// </summary>
public sealed class HookedStorage : SessionStorage
{
    private readonly SessionStorage _inner;
    private readonly bool _raisesInvalidations;
    private Action<string>? _afterNextRead;

    public HookedStorage(SessionStorage inner, bool raisesInvalidations = false)
    {
        _inner = inner;
        _raisesInvalidations = raisesInvalidations;
    }

    public SessionStorage Inner => _inner;

    /// <summary>Reads, counted per thread by the test that needs to see a call reach storage.</summary>
    public int Reads => Volatile.Read(ref _reads);

    private int _reads;

    /// <summary>Runs once, after the next read returned from the inner storage and before the caller sees the record.</summary>
    public void AfterNextRead(Action<string> hook) => _afterNextRead = hook;

    /// <summary>What a shared backend does when another node changed <paramref name="key"/>.</summary>
    public void Invalidate(string key) => OnInvalidated(key);

    public override string Kind => _inner.Kind;

    public override bool RaisesInvalidations => _raisesInvalidations;

    public override StoredRecord? Read(string key)
    {
        StoredRecord? record = _inner.Read(key);
        Interlocked.Increment(ref _reads);
        Interlocked.Exchange(ref _afterNextRead, null)?.Invoke(key);
        return record;
    }

    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion) =>
        _inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);

    public override bool Delete(string key) => _inner.Delete(key);

    public override void Clear() => _inner.Clear();
}
