using System;

namespace SessionConnector.Maintenance;

/// <summary>How a store-wide maintenance pass (<see cref="SessionStoreMaintenance"/>) walks the store.</summary>
public sealed class MaintenanceOptions
{
    private int _batchSize = 256;
    private int? _parallelism;

    /// <summary>Records fetched and processed per batch (1 to 10 000; default 256). Progress is reported after each batch.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Out of range.</exception>
    public int BatchSize
    {
        get => _batchSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 10_000);
            _batchSize = value;
        }
    }

    /// <summary>
    /// Records of a batch processed at once (1 to 256): bounds the load a pass puts on the store. Null (the default): the
    /// store's choice, 16 on a file store with <see cref="Storage.FileDurability.PowerLoss"/> (its writes wait for fsyncs,
    /// which the kernel merges when they come together) and 8 elsewhere.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Out of range.</exception>
    public int? Parallelism
    {
        get => _parallelism;
        set
        {
            if (value is { } n)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(value));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 256, nameof(value));
            }

            _parallelism = value;
        }
    }

    /// <summary>Count what would change without writing or deleting anything.</summary>
    public bool DryRun { get; set; }

    /// <summary>Called after every batch with the running totals, on the thread running the pass.</summary>
    public Action<MaintenanceProgress>? Progress { get; set; }
}
