using System.Threading;
using SessionConnector.Internal;

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
    /// Striped, not one gate per session: <see cref="Stripes.Count"/> fixed gates (16 a core, at least 256) need no
    /// per-session allocation or cleanup, and a collision only queues two sessions together. Each gate is a padded
    /// compare-and-swap word (<see cref="PaddedGate"/>): two interlocked operations on a line of its own when uncontended,
    /// a semaphore queue only when another writer holds it.
    /// </remarks>
    internal PaddedGate WriterGate(string id)
    {
        EnsureOpen();
        return GateOf(StorageKeyEntryOf(id).Stripe);
    }

    /// <summary>The gate of <paramref name="stripe"/>, created on its first use.</summary>
    /// <remarks>
    /// Created lazily: 256 or more padded gates (~37 KiB) allocated up front were a measurable part of a connector's set-up on
    /// the way to an app's first session (issue 27), and most stripes of a small app are never written. Racing creators
    /// publish with a compare-and-swap, so every writer of a stripe gets the one gate that won; padding does not depend on
    /// gates being allocated together (see <see cref="PaddedGate"/>).
    /// </remarks>
    private PaddedGate GateOf(int stripe)
    {
        // Volatile: a gate published by another thread is seen fully constructed.
        PaddedGate? gate = Volatile.Read(ref _updateGates[stripe]);
        if (gate is not null) return gate;
        var created = new PaddedGate();
        return Interlocked.CompareExchange(ref _updateGates[stripe], created, null) ?? created;
    }
}
