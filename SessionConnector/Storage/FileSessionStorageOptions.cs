using System;
using System.Threading;

namespace SessionConnector.Storage;

/// <summary>Options for a <see cref="FileSessionStorage"/>.</summary>
public sealed class FileSessionStorageOptions
{
    /// <summary>What a completed write or delete survives (default <see cref="FileDurability.PowerLoss"/>).</summary>
    public FileDurability Durability { get; set; } = FileDurability.PowerLoss;

    /// <summary>The clock for expiry and for the sweep; defaults to the system clock.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// How often the background sweep removes expired records (default 30 s), so a store does not grow without bound
    /// when sessions are abandoned rather than deleted. <see cref="TimeSpan.Zero"/> or
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns the sweep off (then call <see cref="SessionStorage.PurgeExpired"/>
    /// yourself, e.g. from a cron job). Opening a store never scans it: the first sweep runs at the store's first read,
    /// write or delete from one interval after the open on, and every interval from then on, used or not. A store that is
    /// not used past its first interval (a short-lived tool) is never swept, and never starts the runtime's timer thread.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most record files one sweep looks at (default 1000; each costs one read of the file, 8 KiB for most). The
    /// sweep resumes where the previous one stopped, so a full pass over N records takes N / <see cref="SweepBatchSize"/>
    /// intervals.
    /// </summary>
    public int SweepBatchSize { get; set; } = 1000;

    /// <summary>
    /// Whether the store keeps its shared change table (see <c>Files.ChangeTable</c>). Internal: only tests turn it off,
    /// to show what the table adds; the store then works as it does where the table cannot be opened.
    /// </summary>
    internal bool UseChangeTable { get; set; } = true;
}
