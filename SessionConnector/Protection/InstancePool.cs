using System;
using System.Threading;

namespace SessionConnector.Protection;

/// <summary>
/// A small, bounded, lock-free pool of non-thread-safe crypto objects (<c>AesGcm</c>, <c>IncrementalHash</c>).
/// Renting and returning cost one interlocked exchange each and allocate nothing once the pool is warm.
/// </summary>
/// <remarks>
/// Why a pool rather than <c>[ThreadStatic]</c>: instances are tied to one key (one epoch, one ring), and a process may
/// hold several protectors; a per-thread field would thrash between them and could not be disposed by the owner.
/// </remarks>
internal sealed class InstancePool<T> : IDisposable where T : class, IDisposable
{
    // Probe a few neighbouring slots so that two threads hashing to the same slot rarely fall back to creating.
    private const int Probes = 4;

    // References between two slots: 8 × 8 bytes puts each slot on a cache line of its own. Every seal and every open rents
    // and returns (an interlocked write each); with the slots packed into one line, two threads each using their own slot
    // still bounced that line between their cores on every operation (false sharing).
    private const int Stride = 8;

    private readonly T?[] _slots;
    private readonly int _mask;
    private readonly Func<T> _factory;
    private volatile bool _disposed;

    public InstancePool(Func<T> factory)
    {
        _factory = factory;
        int size = 4;
        while (size < Environment.ProcessorCount * 2 && size < 64) size <<= 1;
        _slots = new T?[size * Stride];
        _mask = size - 1;
    }

    public T Rent()
    {
        // Start at a thread-specific slot so that threads mostly touch their own cache line.
        int start = Environment.CurrentManagedThreadId;
        for (int i = 0; i < Probes; i++)
        {
            ref T? slot = ref _slots[((start + i) & _mask) * Stride];
            // Plain read first to avoid a contended interlocked write on an empty slot.
            if (Volatile.Read(ref slot) is not null)
            {
                T? item = Interlocked.Exchange(ref slot, null);
                if (item is not null) return item;
            }
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _factory();
    }

    public void Return(T item)
    {
        if (!_disposed)
        {
            int start = Environment.CurrentManagedThreadId;
            for (int i = 0; i < Probes; i++)
            {
                ref T? slot = ref _slots[((start + i) & _mask) * Stride];
                if (Interlocked.CompareExchange(ref slot, item, null) is null)
                {
                    // Dispose may have swept the slots between our check and the CAS; take it back if so.
                    if (_disposed && Interlocked.CompareExchange(ref slot, null, item) == item) item.Dispose();
                    return;
                }
            }
        }
        item.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        for (int i = 0; i < _slots.Length; i += Stride)
        {
            Interlocked.Exchange(ref _slots[i], null)?.Dispose();
        }
    }
}
