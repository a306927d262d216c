using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Storage;

namespace SessionConnector.Tests.Faults;

/// <summary>How a <see cref="FaultyStorage"/> answers.</summary>
public enum FaultMode
{
    Healthy,
    Throws,
    HangsIgnoringToken,
    HangsHonouringToken,
}

/// <summary>
/// A custom store over a real one (not "in memory", so the connector caches in front of it) that can be switched to
/// throw an arbitrary exception or to hang, as a third-party backend might. Sync and async members both fault.
/// </summary>
public sealed class FaultyStorage(SessionStorage inner) : SessionStorage
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _cancelledCalls;

    public FaultMode Mode { get; set; }

    /// <summary>What <see cref="FaultMode.Throws"/> throws.</summary>
    public Func<Exception> Fault { get; set; } = () => new System.IO.IOException("disk on fire");

    /// <summary>How many hung calls saw their token fire and stopped.</summary>
    public int CancelledCalls => Volatile.Read(ref _cancelledCalls);

    public SessionStorage Inner => inner;

    public override string Kind => "faulty";

    /// <summary>Set to behave as a shared backend that announces changes (as Redis does).</summary>
    public bool Shared { get; init; }

    public override bool RaisesInvalidations => Shared;

    /// <summary>What a shared backend does when it may have missed changes (a disconnect, a reconnect).</summary>
    public void InvalidateAll() => OnInvalidatedAll();

    /// <summary>Lets every call that hangs while ignoring its token finish (the test's clean-up).</summary>
    public void ReleaseHungCalls() => _released.TrySetResult();

    private void Check()
    {
        if (Mode == FaultMode.Throws) throw Fault();
        if (Mode is FaultMode.HangsIgnoringToken or FaultMode.HangsHonouringToken) _released.Task.Wait();
    }

    private async ValueTask CheckAsync(CancellationToken ct)
    {
        switch (Mode)
        {
            case FaultMode.Throws:
                await Task.Yield();
                throw Fault();
            case FaultMode.HangsIgnoringToken:
                await _released.Task.ConfigureAwait(false);
                break;
            case FaultMode.HangsHonouringToken:
                try
                {
                    await _released.Task.WaitAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref _cancelledCalls);
                    throw;
                }

                break;
        }
    }

    public override StoredRecord? Read(string key)
    {
        Check();
        return inner.Read(key);
    }

    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        Check();
        return inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);
    }

    public override bool Delete(string key)
    {
        Check();
        return inner.Delete(key);
    }

    public override void Clear() => inner.Clear();

    public override async ValueTask<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        return inner.Read(key);
    }

    public override async ValueTask<bool> TryWriteAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, CancellationToken cancellationToken = default)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        return inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);
    }

    public override async ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        return inner.Delete(key);
    }

    protected override void Dispose(bool disposing)
    {
        ReleaseHungCalls();
        if (disposing) inner.Dispose();
    }
}
