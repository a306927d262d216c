using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector;

// The per-session writer gate: the one place where writers of one session in this process queue, whatever the host.
public sealed partial class SessionStorageConnector
{
    /// <summary>
    /// The gate writers of session <paramref name="id"/> queue on in this process: Set, Update and every
    /// <see cref="SessionStore{T}"/> commit and ID cycle, from a console, a game server or a web host alike. Queued, a
    /// writer loses its compare-and-set at most to other processes instead of burning bounded retries on its neighbours.
    /// </summary>
    /// <remarks>
    /// Striped, not one gate per session: 256 fixed gates need no per-session allocation or cleanup, and a collision only
    /// queues two sessions together. Not padded: a gate is taken around a seal and a storage write (microseconds), so
    /// false sharing between neighbouring gates (nanoseconds) is not worth 64 bytes a stripe.
    /// </remarks>
    internal SemaphoreSlim WriterGate(string id)
    {
        EnsureOpen();
        return _updateGates[StorageKeyEntryOf(id).Stripe];
    }

    /// <summary>Enters <paramref name="gate"/> the <c>bool async</c> way: a sync caller blocks on it, an async one awaits.</summary>
    internal static ValueTask EnterAsync(SemaphoreSlim gate, bool async, CancellationToken ct)
    {
        if (async) return new ValueTask(gate.WaitAsync(ct));
        gate.Wait(ct);
        return default;
    }
}
