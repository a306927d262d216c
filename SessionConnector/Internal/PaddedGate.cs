using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.Internal;

/// <summary>
/// A writer gate (a mutex that can be awaited): one compare-and-swap on its own cache line to enter and one to leave when
/// nobody waits, a <see cref="SemaphoreSlim"/> only when contended. Waiters sleep in the semaphore's queue (async waiters in
/// arrival order, as on a <c>SemaphoreSlim(1, 1)</c>) and the gate is handed to the next sleeper on exit, never freed for a
/// newcomer to barge past them: queued writers of a session keep their turn.
/// </summary>
/// <remarks>
/// <para>Padded: the state sits 64 bytes into the fields and the queue reference 56 bytes after it, so the state has at
/// least 64 bytes to any neighbouring object (gates are created on first use, next to whatever was allocated then) and writers of unrelated sessions
/// on adjacent stripes do not bounce one line between cores. The last field sets the object's size: the runtime ignores
/// <see cref="StructLayoutAttribute.Size"/> on classes (measured: 88 bytes with <c>Size = 128</c> alone).</para>
/// <para>State: bit 0 is "held", the rest counts registered waiters (W). Invariant: W = registered waiters − permits released
/// to the semaphore and not yet taken; the gate stays held while a permit is in flight, so exactly one party owns it. Exit
/// with W &gt; 0 hands over (W − 1, one permit); exit with W = 0 frees. A waiter whose wait is cancelled deregisters (W − 1)
/// if W &gt; 0; if W = 0 every registration, its own included, was served by a permit, so one is there for it: it takes it
/// (not cancellable: the permit is already released) and exits at once, passing the gate on.</para>
/// </remarks>
[StructLayout(LayoutKind.Explicit)]
internal sealed class PaddedGate
{
    private const int Held = 1, Waiter = 2;

    [FieldOffset(64)] private int _state;

    // Written once, when first contended, then only read; placed last, it is also the padding after the state.
    [FieldOffset(120)] private SemaphoreSlim? _queue;

    /// <summary>Enters if nobody holds the gate; never waits.</summary>
    public bool TryEnter() => Interlocked.CompareExchange(ref _state, Held, 0) == 0;

    /// <summary>Enters the <c>bool async</c> way: a sync caller blocks, an async one awaits; <paramref name="ct"/> cancels the wait.</summary>
    public ValueTask EnterAsync(bool async, CancellationToken ct) => TryEnter() ? default : EnterContendedAsync(async, ct);

    private async ValueTask EnterContendedAsync(bool async, CancellationToken ct)
    {
        Contention.Count(ref Contention.WriterGate);
        // Created before registering: an exit that sees this waiter (through the CAS below, a full fence) sees the queue.
        SemaphoreSlim queue = Volatile.Read(ref _queue) ?? CreateQueue();
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if (s == 0)
            {
                // Freed meanwhile (an exit frees only when nobody is registered): take it.
                if (Interlocked.CompareExchange(ref _state, Held, 0) == 0) return;
                continue;
            }

            if (Interlocked.CompareExchange(ref _state, s + Waiter, s) == s) break;
        }

        try
        {
            // A permit is a hand-over: whoever takes one owns the gate.
            if (async) await queue.WaitAsync(ct).ConfigureAwait(false);
            else queue.Wait(ct);
        }
        catch (System.OperationCanceledException)
        {
            await LeaveQueueAsync(queue, async).ConfigureAwait(false);
            throw;
        }
    }

    private SemaphoreSlim CreateQueue()
    {
        var created = new SemaphoreSlim(0);
        return Interlocked.CompareExchange(ref _queue, created, null) ?? created;
    }

    private async ValueTask LeaveQueueAsync(SemaphoreSlim queue, bool async)
    {
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if (s >= Held + Waiter)
            {
                if (Interlocked.CompareExchange(ref _state, s - Waiter, s) == s) return;
                continue;
            }

            // W = 0: a permit was released for a registration like this one (see the invariant); take it and pass the gate on.
            if (async) await queue.WaitAsync().ConfigureAwait(false);
            else queue.Wait();
            Exit();
            return;
        }
    }

    /// <summary>Leaves the gate, handing it to the next waiter if there is one.</summary>
    public void Exit()
    {
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if (s == Held)
            {
                if (Interlocked.CompareExchange(ref _state, 0, Held) == Held) return;
                continue;
            }

            // Waiters: stay held and hand over (the CAS is a full fence, so the registrant's queue is visible).
            if (Interlocked.CompareExchange(ref _state, s - Waiter, s) == s)
            {
                _queue!.Release();
                return;
            }
        }
    }
}
