using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.Storage;

// Maintenance extension points (sessionctl, SessionStoreMaintenance): walking every record and a conditional delete.
// They are optional for custom backends, so the defaults say plainly what is missing instead of doing something slow.
public abstract partial class SessionStorage
{
    /// <summary>
    /// Walks every record this backend owns, fetching <paramref name="batchSize"/> records per round trip. Yields expired
    /// records that are still present (so they can be purged) and records whose container the backend cannot parse
    /// (with <see cref="StoredRecord.Version"/> 0, the raw bytes as <see cref="StoredRecord.Value"/> and no expiry).
    /// Never deletes or changes anything.
    /// </summary>
    /// <remarks>
    /// Records written, changed or deleted during the walk may or may not be seen, and a backend whose scan can repeat
    /// keys (Redis <c>SCAN</c>) may yield a key twice; callers must be idempotent and compare-and-set on the version read.
    /// </remarks>
    /// <param name="batchSize">Records fetched per round trip (1 to 10 000).</param>
    /// <param name="cancellationToken">Stops the walk.</param>
    /// <exception cref="NotSupportedException">The backend does not implement enumeration.</exception>
    public virtual IAsyncEnumerable<KeyValuePair<string, StoredRecord>> EnumerateAsync(int batchSize = 256, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(
            $"The '{Kind}' session storage ({GetType().Name}) does not enumerate its records, so store maintenance (stats, purge, rotate, verify) "
            + "cannot run on it. Override SessionStorage.EnumerateAsync (and TryDelete, as one atomic step) to support it.");

    /// <summary>
    /// The purge's walk: <see cref="EnumerateAsync"/>, except that a backend may yield a record it can tell is live at
    /// <paramref name="now"/> without reading it as a placeholder (version 0, no value, no expiry), which a purge skips.
    /// </summary>
    internal virtual IAsyncEnumerable<KeyValuePair<string, StoredRecord>> EnumerateForPurgeAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) =>
        EnumerateAsync(batchSize, cancellationToken);

    /// <summary>Checks an <see cref="EnumerateAsync"/> batch size.</summary>
    /// <param name="batchSize">The requested size.</param>
    /// <exception cref="ArgumentOutOfRangeException">Not between 1 and 10 000.</exception>
    protected static void ValidateBatchSize(int batchSize)
    {
        if (batchSize is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be between 1 and 10 000.");
    }
}
