using System;
using System.Threading;
using SessionConnector.Storage;

namespace SessionConnector.Tests.Reliability;

/// <summary>A decorator that yields or spins for a random moment around each call, widening the windows between a read and its compare-and-set.</summary>
internal sealed class JitterStorage : SessionStorage
{
    private readonly SessionStorage _inner;

    public JitterStorage(SessionStorage inner) => _inner = inner;

    public override string Kind => _inner.Kind;

    public override bool IsInMemory => _inner.IsInMemory;

    private static void Jitter()
    {
        int r = Random.Shared.Next(8);
        if (r == 0) Thread.Yield();
        else if (r < 5) Thread.SpinWait(Random.Shared.Next(50, 10_000));
    }

    public override StoredRecord? Read(string key)
    {
        Jitter();
        StoredRecord? record = _inner.Read(key);
        Jitter();
        return record;
    }

    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        Jitter();
        return _inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);
    }

    public override bool Delete(string key)
    {
        Jitter();
        return _inner.Delete(key);
    }

    public override void Clear() => _inner.Clear();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
    }
}
