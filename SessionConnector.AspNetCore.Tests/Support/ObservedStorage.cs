using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Storage;

namespace SessionConnector.AspNetCore.Tests.Support;

/// <summary>
/// A real backend (memory or file) behind a switchboard: counts every call and can be taken "down" (every call
/// throws <see cref="SessionStorageException"/>, as the file and Redis stores do on I/O failure) or made to fail writes only.
/// </summary>
internal sealed class ObservedStorage(SessionStorage inner) : SessionStorage
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public volatile string? LastWrittenKey;

    public volatile bool Down;

    public volatile bool WritesFail;

    /// <summary>Runs before every conditional delete reaches the backend (a writer racing the delete).</summary>
    public Func<ValueTask>? BeforeTryDelete;

    public override string Kind => inner.Kind;

    public override StoredRecord? Read(string key)
    {
        Enter(write: false);
        return inner.Read(key);
    }

    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        Enter(write: true);
        LastWrittenKey = key;
        return inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);
    }

    public override bool Delete(string key)
    {
        Enter(write: true);
        return inner.Delete(key);
    }

    public override bool TryDelete(string key, long expectedVersion)
    {
        Enter(write: true);
        BeforeTryDelete?.Invoke().AsTask().GetAwaiter().GetResult();
        return inner.TryDelete(key, expectedVersion);
    }

    public override async ValueTask<bool> TryDeleteAsync(string key, long expectedVersion, CancellationToken cancellationToken = default)
    {
        Enter(write: true);
        if (BeforeTryDelete is { } race) await race();
        return await inner.TryDeleteAsync(key, expectedVersion, cancellationToken);
    }

    public override void Clear()
    {
        Enter(write: true);
        inner.Clear();
    }

    public override ValueTask<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        Enter(write: false);
        return inner.ReadAsync(key, cancellationToken);
    }

    public override ValueTask<bool> TryWriteAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, CancellationToken cancellationToken = default)
    {
        Enter(write: true);
        LastWrittenKey = key;
        return inner.TryWriteAsync(key, value, expiresAt, expectedVersion, newVersion, cancellationToken);
    }

    public override ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Enter(write: true);
        return inner.DeleteAsync(key, cancellationToken);
    }

    private void Enter(bool write)
    {
        Interlocked.Increment(ref _calls);
        if (Down || (write && WritesFail)) throw new SessionStorageException("storage is down (test switch)");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
    }
}
