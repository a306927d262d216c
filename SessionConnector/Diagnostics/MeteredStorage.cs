using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Storage;

namespace SessionConnector.Diagnostics;

/// <summary>
/// The connector's view of its backend: each record operation once, sync or async by <c>async</c> (as
/// System.Net.Http's <c>SendAsync(request, async, ct)</c>), timed on the meter and reported to the observer when it fails.
/// With <c>async: false</c> only the backend's sync members run, so the returned task is already complete.
/// </summary>
internal sealed class MeteredStorage
{
    private readonly SessionStorage _inner;
    // The built-in memory store, when that is the backend: it can keep the connector's envelope without copying it.
    private readonly MemorySessionStorage? _memory;
    // True when that store judges expiry by the connector's own clock, so a reading the connector took serves it too.
    private readonly bool _memorySharesClock;
    private readonly SessionMetrics _metrics;

    public MeteredStorage(SessionStorage inner, SessionMetrics metrics, TimeProvider connectorClock)
    {
        _inner = inner;
        _memory = inner as MemorySessionStorage;
        _memorySharesClock = _memory is not null && ReferenceEquals(_memory.Time, connectorClock);
        _metrics = metrics;
    }

    /// <summary>
    /// Reads the live record. <paramref name="now"/>, a reading of the connector's clock the caller took anyway, saves the
    /// memory store its own clock read when it shares that clock; other backends ignore it.
    /// </summary>
    public async ValueTask<StoredRecord?> ReadAsync(string key, bool async, CancellationToken ct, DateTimeOffset? now = null)
    {
        long start = _metrics.StartStorageOperation();
        try
        {
            StoredRecord? record;
            if (_memory is not null)
            {
                // The memory store's async twin is a cancellation check and its sync member.
                if (async) ct.ThrowIfCancellationRequested();
                record = _memory.Read(key, _memorySharesClock ? now : null);
            }
            else
            {
                record = async ? await _inner.ReadAsync(key, ct).ConfigureAwait(false) : _inner.Read(key);
            }

            _metrics.StorageOperation("read", start);
            return record;
        }
        catch (Exception e) when (ObserveFailure("read", e))
        {
            throw; // unreachable: the filter only observes
        }
    }

    /// <summary>
    /// A compare-and-set write of <paramref name="envelope"/>, which the caller hands over: a fresh array it never touches
    /// again, so a backend that keeps arrays (memory) may store it as is. <paramref name="now"/> is as for
    /// <see cref="ReadAsync"/>.
    /// </summary>
    public async ValueTask<bool> TryWriteAsync(string key, byte[] envelope, DateTimeOffset? expiresAt, long expected, long version, bool async, CancellationToken ct, DateTimeOffset? now = null)
    {
        long start = _metrics.StartStorageOperation();
        try
        {
            bool written;
            if (_memory is not null)
            {
                // The memory store's async twin is a cancellation check and its sync member: both take the no-copy write.
                if (async) ct.ThrowIfCancellationRequested();
                written = _memory.TryWriteOwned(key, envelope, expiresAt, expected, version, _memorySharesClock ? now : null);
            }
            else
            {
                written = async
                    ? await _inner.TryWriteAsync(key, envelope, expiresAt, expected, version, ct).ConfigureAwait(false)
                    : _inner.TryWrite(key, envelope, expiresAt, expected, version);
            }
            _metrics.StorageOperation("write", start);
            return written;
        }
        catch (Exception e) when (ObserveFailure("write", e))
        {
            throw; // unreachable: the filter only observes
        }
    }

    public async ValueTask<bool> DeleteAsync(string key, bool async, CancellationToken ct)
    {
        long start = _metrics.StartStorageOperation();
        try
        {
            bool deleted = async ? await _inner.DeleteAsync(key, ct).ConfigureAwait(false) : _inner.Delete(key);
            _metrics.StorageOperation("delete", start);
            return deleted;
        }
        catch (Exception e) when (ObserveFailure("delete", e))
        {
            throw; // unreachable: the filter only observes
        }
    }

    /// <summary>Deletes the record only at <paramref name="version"/> (see <see cref="SessionStorage.TryDelete"/>).</summary>
    public async ValueTask<bool> TryDeleteAsync(string key, long version, bool async, CancellationToken ct)
    {
        long start = _metrics.StartStorageOperation();
        try
        {
            bool deleted = async ? await _inner.TryDeleteAsync(key, version, ct).ConfigureAwait(false) : _inner.TryDelete(key, version);
            _metrics.StorageOperation("delete", start);
            return deleted;
        }
        catch (Exception e) when (ObserveFailure("delete", e))
        {
            throw; // unreachable: the filter only observes
        }
    }

    // An exception filter that returns false observes without catching: the stack stays intact and nothing is rethrown.
    private bool ObserveFailure(string operation, Exception exception)
    {
        if (exception is not OperationCanceledException) _metrics.StorageFailed(operation, exception);
        return false;
    }
}
