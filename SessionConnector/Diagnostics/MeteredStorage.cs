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
    private readonly SessionMetrics _metrics;

    public MeteredStorage(SessionStorage inner, SessionMetrics metrics)
    {
        _inner = inner;
        _metrics = metrics;
    }

    public async ValueTask<StoredRecord?> ReadAsync(string key, bool async, CancellationToken ct)
    {
        long start = _metrics.StartStorageOperation();
        try
        {
            StoredRecord? record = async ? await _inner.ReadAsync(key, ct).ConfigureAwait(false) : _inner.Read(key);
            _metrics.StorageOperation("read", start);
            return record;
        }
        catch (Exception e) when (ObserveFailure("read", e))
        {
            throw; // unreachable: the filter only observes
        }
    }

    public async ValueTask<bool> TryWriteAsync(string key, byte[] envelope, DateTimeOffset? expiresAt, long expected, long version, bool async, CancellationToken ct)
    {
        long start = _metrics.StartStorageOperation();
        try
        {
            bool written = async
                ? await _inner.TryWriteAsync(key, envelope, expiresAt, expected, version, ct).ConfigureAwait(false)
                : _inner.TryWrite(key, envelope, expiresAt, expected, version);
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
