using System;
using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.Diagnostics;

/// <summary>
/// The connector's bound on one async storage call: a token that fires when the caller cancels or the timeout passes,
/// handed to the backend so a backend that honours tokens really stops, and a wait that gives up at the same moment when
/// it does not (a hung custom store). The token source is reused per thread: a call that completes in time resets it
/// (<see cref="CancellationTokenSource.TryReset"/>) instead of allocating a source and a timer per call.
/// </summary>
internal struct StorageDeadline
{
    // One spare source per thread: a continuation may return it on another thread, which only moves the spare.
    [ThreadStatic]
    private static CancellationTokenSource? t_spare;

    private CancellationTokenSource? _source;
    private CancellationTokenRegistration _link;

    /// <summary>Starts the bound; <paramref name="timeout"/> of <see cref="Timeout.InfiniteTimeSpan"/> passes the caller's token through.</summary>
    public static StorageDeadline Start(TimeSpan timeout, CancellationToken callerToken)
    {
        var deadline = default(StorageDeadline);
        if (timeout == Timeout.InfiniteTimeSpan) return deadline;
        CancellationTokenSource source = t_spare ?? new CancellationTokenSource();
        t_spare = null;
        source.CancelAfter(timeout);
        deadline._source = source;
        // Unsafe: no execution context flows into the callback, which only cancels our source.
        if (callerToken.CanBeCanceled) deadline._link = callerToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), source);
        return deadline;
    }

    /// <summary>The token to hand to the backend.</summary>
    public readonly CancellationToken Token(CancellationToken callerToken) => _source?.Token ?? callerToken;

    /// <summary>True when the timeout (not the caller) ended the call.</summary>
    public readonly bool TimedOut(CancellationToken callerToken) =>
        _source is { IsCancellationRequested: true } && !callerToken.IsCancellationRequested;

    /// <summary>Waits for <paramref name="task"/>, but no longer than the bound (a backend that ignores the token is left behind).</summary>
    public readonly ValueTask<T> Bound<T>(ValueTask<T> task) =>
        task.IsCompleted || _source is null ? task : new ValueTask<T>(task.AsTask().WaitAsync(_source.Token));

    /// <summary>Ends the bound; the source goes back to the thread's spare slot unless it fired.</summary>
    public void End()
    {
        if (_source is null) return;
        _link.Dispose();
        if (_source.TryReset() && t_spare is null) t_spare = _source;
        else _source.Dispose();
        _source = null;
    }
}
