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
    // The backend's in-process fast path, when it has one (see IInProcessStorage); metered the same way.
    private readonly IInProcessStorage? _inProcess;
    // True when that store judges expiry by the connector's own clock, so a reading the connector took serves it too.
    private readonly bool _sharesClock;
    private readonly SessionMetrics _metrics;
    // The connector's bound on each async call (SessionConnectorOptions.StorageTimeout); infinite: none. Only the message
    // of a timeout reads it, so an in-memory store's infinite bound never shows.
    private readonly TimeSpan _timeout;

    public MeteredStorage(SessionStorage inner, SessionMetrics metrics, TimeProvider connectorClock, TimeSpan timeout)
    {
        _inner = inner;
        _inProcess = inner as IInProcessStorage;
        _sharesClock = _inProcess is not null && ReferenceEquals(_inProcess.Time, connectorClock);
        // A store in this process's memory never waits: it skips the deadline's timer and registration.
        _timeout = inner.IsInMemory ? Timeout.InfiniteTimeSpan : timeout;
        _metrics = metrics;
    }

    public ValueTask<StoredRecord?> ReadAsync(string key, bool async, CancellationToken ct) =>
        _inProcess is not null ? new ValueTask<StoredRecord?>(InProcessRead(key, async, ct)) : ReadCoreAsync(key, async, ct);

    private async ValueTask<StoredRecord?> ReadCoreAsync(string key, bool async, CancellationToken ct)
    {
        long start = _metrics.StartStorageOperation();
        StorageDeadline deadline = async ? StorageDeadline.Start(_timeout, ct) : default;
        try
        {
            StoredRecord? record = async ? await deadline.Bound(_inner.ReadAsync(key, deadline.Token(ct))).ConfigureAwait(false) : _inner.Read(key);
            _metrics.StorageOperation("read", start);
            return record;
        }
        catch (Exception e) when (IsFault(e, ct))
        {
            throw Fault("read", e, deadline.TimedOut(ct));
        }
        finally
        {
            deadline.End();
        }
    }

    /// <summary>
    /// The version of the live record, or <see cref="SessionStorage.Absent"/> when there is none (a live record's version
    /// is never Absent): what a write that replaces the record needs, without the record. <paramref name="now"/>, a reading
    /// of the connector's clock the caller took anyway, spares the memory store its own clock read when they share it.
    /// </summary>
    public ValueTask<long> ReadVersionAsync(string key, bool async, CancellationToken ct, DateTimeOffset now) =>
        _inProcess is not null ? new ValueTask<long>(InProcessReadVersion(key, async, ct, now)) : VersionOf(ReadAsync(key, async, ct));

    private static async ValueTask<long> VersionOf(ValueTask<StoredRecord?> read) =>
        (await read.ConfigureAwait(false))?.Version ?? SessionStorage.Absent;

    /// <summary>
    /// A compare-and-set write of <paramref name="envelope"/>, which the caller hands over: a fresh array it never touches
    /// again, so an in-process backend may store it as is. <paramref name="now"/> is as for
    /// <see cref="ReadVersionAsync"/> (null: the store reads its clock).
    /// </summary>
    public ValueTask<bool> TryWriteAsync(string key, byte[] envelope, DateTimeOffset? expiresAt, long expected, long version, bool async, CancellationToken ct, DateTimeOffset? now = null) =>
        _inProcess is not null
            ? new ValueTask<bool>(InProcessTryWrite(key, envelope, expiresAt, expected, version, async, ct, now))
            : TryWriteCoreAsync(key, envelope, expiresAt, expected, version, async, ct);

    private async ValueTask<bool> TryWriteCoreAsync(string key, byte[] envelope, DateTimeOffset? expiresAt, long expected, long version, bool async, CancellationToken ct)
    {
        long start = _metrics.StartStorageOperation();
        StorageDeadline deadline = async ? StorageDeadline.Start(_timeout, ct) : default;
        try
        {
            bool written = async
                ? await deadline.Bound(_inner.TryWriteAsync(key, envelope, expiresAt, expected, version, deadline.Token(ct))).ConfigureAwait(false)
                : _inner.TryWrite(key, envelope, expiresAt, expected, version);
            _metrics.StorageOperation("write", start);
            return written;
        }
        catch (Exception e) when (IsFault(e, ct))
        {
            throw Fault("write", e, deadline.TimedOut(ct));
        }
        finally
        {
            deadline.End();
        }
    }

    // An in-process store answers synchronously whatever `async` says, so its calls skip the async state machines; only
    // the cancellation check of an async call is kept.
    private long InProcessReadVersion(string key, bool async, CancellationToken ct, DateTimeOffset now)
    {
        long start = _metrics.StartStorageOperation();
        try
        {
            if (async) ct.ThrowIfCancellationRequested();
            long version = _inProcess!.ReadVersion(key, _sharesClock ? now : null);
            _metrics.StorageOperation("read", start);
            return version;
        }
        catch (Exception e) when (IsFault(e, ct))
        {
            throw Fault("read", e, timedOut: false);
        }
    }

    // Every read of a web request on memory storage comes here: its own sync member, without the deadline and the state machine.
    private StoredRecord? InProcessRead(string key, bool async, CancellationToken ct)
    {
        long start = _metrics.StartStorageOperation();
        try
        {
            if (async) ct.ThrowIfCancellationRequested();
            StoredRecord? record = _inner.Read(key);
            _metrics.StorageOperation("read", start);
            return record;
        }
        catch (Exception e) when (IsFault(e, ct))
        {
            throw Fault("read", e, timedOut: false);
        }
    }

    private bool InProcessTryWrite(string key, byte[] envelope, DateTimeOffset? expiresAt, long expected, long version, bool async, CancellationToken ct, DateTimeOffset? now)
    {
        long start = _metrics.StartStorageOperation();
        try
        {
            if (async) ct.ThrowIfCancellationRequested();
            bool written = _inProcess!.TryWriteOwned(key, envelope, expiresAt, expected, version, _sharesClock ? now : null);
            _metrics.StorageOperation("write", start);
            return written;
        }
        catch (Exception e) when (IsFault(e, ct))
        {
            throw Fault("write", e, timedOut: false);
        }
    }

    public async ValueTask<bool> DeleteAsync(string key, bool async, CancellationToken ct)
    {
        long start = _metrics.StartStorageOperation();
        StorageDeadline deadline = async ? StorageDeadline.Start(_timeout, ct) : default;
        try
        {
            bool deleted = async ? await deadline.Bound(_inner.DeleteAsync(key, deadline.Token(ct))).ConfigureAwait(false) : _inner.Delete(key);
            _metrics.StorageOperation("delete", start);
            return deleted;
        }
        catch (Exception e) when (IsFault(e, ct))
        {
            throw Fault("delete", e, deadline.TimedOut(ct));
        }
        finally
        {
            deadline.End();
        }
    }

    /// <summary>Deletes the record only at <paramref name="version"/> (see <see cref="SessionStorage.TryDelete"/>).</summary>
    public async ValueTask<bool> TryDeleteAsync(string key, long version, bool async, CancellationToken ct)
    {
        long start = _metrics.StartStorageOperation();
        StorageDeadline deadline = async ? StorageDeadline.Start(_timeout, ct) : default;
        try
        {
            bool deleted = async ? await deadline.Bound(_inner.TryDeleteAsync(key, version, deadline.Token(ct))).ConfigureAwait(false) : _inner.TryDelete(key, version);
            _metrics.StorageOperation("delete", start);
            return deleted;
        }
        catch (Exception e) when (IsFault(e, ct))
        {
            throw Fault("delete", e, deadline.TimedOut(ct));
        }
        finally
        {
            deadline.End();
        }
    }

    // Only the caller's own cancellation passes through untouched; everything else a backend throws is a storage fault.
    private static bool IsFault(Exception exception, CancellationToken callerToken) =>
        !(exception is OperationCanceledException && callerToken.IsCancellationRequested);

    /// <summary>
    /// What the caller gets for a failed call: one type, <see cref="SessionStorageException"/>, naming the backend and the
    /// operation (see docs/storage.md), reported to the observer and counted. A backend's own typed exception is kept as is.
    /// </summary>
    private SessionStorageException Fault(string operation, Exception exception, bool timedOut)
    {
        SessionStorageException fault = timedOut
            ? new SessionStorageException(
                $"The {_inner.Kind} storage did not finish the {operation} within {_timeout.TotalSeconds:0.###} s (SessionConnectorOptions.StorageTimeout)"
                + (operation == "read" ? "." : "; it may or may not have been applied."), exception)
            { StorageKind = _inner.Kind, Operation = operation, IsTimeout = true }
            : exception switch
            {
                SessionStorageException { Operation: not null, StorageKind: not null } typed => typed,
                // The backend typed it but could not say which connector operation it served: the same message and cause
                // (the backend's own exception when it has no cause), with the kind and operation added.
                SessionStorageException typed => new SessionStorageException(typed.Message, typed.InnerException ?? typed)
                {
                    StorageKind = _inner.Kind, Operation = operation, IsTimeout = typed.IsTimeout,
                },
                _ => new SessionStorageException($"The {_inner.Kind} storage failed to {operation}: {exception.GetType().Name}: {exception.Message}", exception)
                {
                    StorageKind = _inner.Kind, Operation = operation,
                },
            };
        _metrics.StorageFailed(operation, fault);
        return fault;
    }
}
