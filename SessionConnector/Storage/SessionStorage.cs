using System;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.Storage;

/// <summary>
/// A storage backend: the extension point for custom stores. A backend only ever sees derived keys
/// (a keyed hash of the session ID, 43 URL-safe characters) and encrypted envelopes; plaintext and raw
/// session IDs never reach it.
/// </summary>
/// <remarks>
/// <para>Every record carries a version chosen by the connector: a non-zero 64-bit number that grows with every write of a session and is never reused after a delete.
/// <see cref="TryWrite"/> is a compare-and-set on it; this is what makes updates atomic and keeps a
/// logout from being undone by a slower writer. Implementations must make the compare and the write
/// one atomic step (a lock, a Lua script, a transaction).</para>
/// <para>The async members default to the sync ones; override them when the backend does real I/O.</para>
/// </remarks>
public abstract partial class SessionStorage : IDisposable, IAsyncDisposable
{
    /// <summary>Pass as <c>expectedVersion</c> to write whatever the current version is.</summary>
    public const long AnyVersion = -1;

    /// <summary>Pass as <c>expectedVersion</c> to write only when no live record exists.</summary>
    public const long Absent = 0;

    /// <summary>
    /// A short name of the backend kind ("memory", "file", "redis"). Configuring the connector a second time
    /// with the same kind is a no-op; with another kind it throws.
    /// </summary>
    public abstract string Kind { get; }

    /// <summary>True when the backend keeps records in this process's memory, so a cache in front of it is pointless.</summary>
    public virtual bool IsInMemory => false;

    /// <summary>
    /// How many records a maintenance pass processes at once when its options leave it open
    /// (<see cref="Maintenance.MaintenanceOptions.Parallelism"/> null): 8, a load a shared store absorbs. A backend whose
    /// writes gain from more concurrency (a durable file store: the kernel merges concurrent fsyncs) says so here.
    /// </summary>
    internal virtual int MaintenanceParallelism => 8;

    /// <summary>
    /// Whether a write leaves the record it replaced readable in storage (the file store's other slot) until the next
    /// write of that key. Key rotation then writes each re-sealed record twice, so no copy sealed under the old key stays.
    /// </summary>
    internal virtual bool KeepsPreviousRecord => false;

    /// <summary>
    /// True when other processes may change records behind this connector's back and the backend reports
    /// those changes through <see cref="OnInvalidated"/> (e.g. Redis pub/sub).
    /// </summary>
    public virtual bool RaisesInvalidations => false;

    /// <summary>
    /// The shared table whose slot a writer of any process moves whenever it changes a record (the file store's; see
    /// <see cref="Files.ChangeTable"/>): a cached copy stays exact while its slot still holds the stamp taken before its
    /// read. Null for a backend without one.
    /// </summary>
    internal virtual Files.ChangeTable? Changes => null;

    /// <summary>Returns the live record under <paramref name="key"/>, or null when it is missing or expired.</summary>
    public abstract StoredRecord? Read(string key);

    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/> with version <paramref name="newVersion"/>
    /// if the current version equals <paramref name="expectedVersion"/> (<see cref="Absent"/>: no live record;
    /// <see cref="AnyVersion"/>: unconditional). Returns false, writing nothing, when the version differs.
    /// A failed write must leave the previous record intact.
    /// </summary>
    public abstract bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion);

    /// <summary>Removes the record; returns whether one existed.</summary>
    public abstract bool Delete(string key);

    /// <summary>
    /// Removes the record only while its version is still <paramref name="expectedVersion"/>; returns whether it did.
    /// The connector evicts a record it refused this way, so a fresh record another writer put there after the refused one
    /// was read survives. The default reads and then deletes, which leaves a short window between the two; override it
    /// with one atomic step (as <see cref="TryWrite"/> is).
    /// </summary>
    public virtual bool TryDelete(string key, long expectedVersion) =>
        Read(key) is { } current && current.Version == expectedVersion && Delete(key);

    /// <summary>Removes every record this backend owns.</summary>
    public abstract void Clear();

    /// <summary>Flushes buffered writes (the seed's <c>save</c>). Backends that write through do nothing.</summary>
    public virtual void Flush() { }

    /// <summary>Removes expired records now; returns how many were removed.</summary>
    public virtual int PurgeExpired() => 0;

    /// <summary>Async twin of <see cref="Read"/>.</summary>
    public virtual ValueTask<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<StoredRecord?>(Read(key));
    }

    /// <summary>Async twin of <see cref="TryWrite"/>.</summary>
    public virtual ValueTask<bool> TryWriteAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<bool>(TryWrite(key, value, expiresAt, expectedVersion, newVersion));
    }

    /// <summary>Async twin of <see cref="Delete"/>.</summary>
    public virtual ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<bool>(Delete(key));
    }

    /// <summary>Async twin of <see cref="TryDelete"/>.</summary>
    public virtual ValueTask<bool> TryDeleteAsync(string key, long expectedVersion, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<bool>(TryDelete(key, expectedVersion));
    }

    /// <summary>Async twin of <see cref="Clear"/>.</summary>
    public virtual ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Clear();
        return default;
    }

    /// <summary>Async twin of <see cref="Flush"/>.</summary>
    public virtual ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Flush();
        return default;
    }

    // Set by the connector. A shared backend (Redis) calls these when another node changed a record,
    // so the connector can evict its cached copy.
    internal Action<string>? InvalidatedCallback;
    internal Action? InvalidatedAllCallback;

    /// <summary>Tells the connector that the record under <paramref name="key"/> changed elsewhere.</summary>
    protected void OnInvalidated(string key) => InvalidatedCallback?.Invoke(key);

    /// <summary>Tells the connector that any record may have changed elsewhere (e.g. after a reconnect).</summary>
    protected void OnInvalidatedAll() => InvalidatedAllCallback?.Invoke();

    /// <summary>Releases the backend's resources.</summary>
    protected virtual void Dispose(bool disposing) { }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the backend's resources asynchronously.</summary>
    public virtual ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }
}

/// <summary>A record as a backend stores it: an opaque encrypted envelope, its version and its expiry.</summary>
/// <param name="Value">The envelope bytes.</param>
/// <param name="Version">The connector-chosen version (non-zero).</param>
/// <param name="ExpiresAt">When the record expires, or null for never.</param>
public readonly record struct StoredRecord(byte[] Value, long Version, DateTimeOffset? ExpiresAt)
{
    // The expiry is kept as UTC ticks and an offset, not in a DateTimeOffset? field, and equality and ToString are
    // written out: an app that awaits ValueTask<StoredRecord?> makes NativeAOT build the boxed StoredRecord, and its
    // field walker and generated ToString would box and format a DateTimeOffset, linking date formatting and time-zone
    // data (~220 KB) into every binary.
    private readonly long _expiresAtUtcTicks = Internal.ExpiryTicks.Of(ExpiresAt);
    private readonly short _expiresAtOffsetMinutes = (short)(ExpiresAt?.Offset.Ticks / TimeSpan.TicksPerMinute ?? 0);

    /// <summary>When the record expires, or null for never.</summary>
    public DateTimeOffset? ExpiresAt
    {
        get => _expiresAtUtcTicks == Internal.ExpiryTicks.None
            ? null
            : new DateTimeOffset(_expiresAtUtcTicks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(_expiresAtOffsetMinutes));
        init
        {
            _expiresAtUtcTicks = Internal.ExpiryTicks.Of(value);
            _expiresAtOffsetMinutes = (short)(value?.Offset.Ticks / TimeSpan.TicksPerMinute ?? 0);
        }
    }

    /// <summary>Whether both records hold the same envelope array, version and expiry instant (offsets aside, as for DateTimeOffset).</summary>
    /// <param name="other">The record to compare with.</param>
    /// <returns>True if they are equal.</returns>
    public bool Equals(StoredRecord other) =>
        ReferenceEquals(Value, other.Value) && Version == other.Version && _expiresAtUtcTicks == other._expiresAtUtcTicks;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Value, Version, _expiresAtUtcTicks);

    // ExpiresAt in the round-trip ("O") form, built from numbers so that no date formatting is linked.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Value = {Value}, Version = {Version}, ExpiresAt = ");
        if (ExpiresAt is { } at)
        {
            DateTime t = at.DateTime;
            int offset = _expiresAtOffsetMinutes;
            builder.Append(CultureInfo.InvariantCulture, $"{t.Year:D4}-{t.Month:D2}-{t.Day:D2}T{t.Hour:D2}:{t.Minute:D2}:{t.Second:D2}");
            builder.Append(CultureInfo.InvariantCulture, $".{t.Ticks % TimeSpan.TicksPerSecond:D7}{(offset < 0 ? '-' : '+')}{Math.Abs(offset) / 60:D2}:{Math.Abs(offset) % 60:D2}");
        }

        return true;
    }
}
