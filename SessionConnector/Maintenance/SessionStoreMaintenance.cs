using SessionConnector.Internal;
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Protection;
using SessionConnector.Records;
using SessionConnector.Storage;

namespace SessionConnector.Maintenance;

/// <summary>
/// Operates a session store from outside the application (what <c>sessionctl</c> runs): a census, sweeping expired
/// records, re-sealing every record under the primary key so an old key can be retired, verifying, inspecting and
/// deleting. Safe to run while applications use the store: every change is a compare-and-set on the version read, so a
/// concurrent application write always wins and is never overwritten or deleted.
/// </summary>
/// <remarks>
/// Needs a backend that implements <see cref="SessionStorage.EnumerateAsync"/> and <see cref="SessionStorage.TryDeleteAsync"/>
/// (memory, file and Redis storage do). The ring must be the applications' ring (same naming key, so the same storage
/// keys); with no ring only the operations that need no decryption run (stats without the undecryptable count, purge,
/// delete by key id).
/// </remarks>
public sealed class SessionStoreMaintenance : IDisposable
{
    private const int MaxRotateAttempts = 5;
    private static readonly MaintenanceOptions s_defaults = new();

    private readonly SessionStorage _storage;
    private readonly SessionProtector? _protector;
    private readonly RecordPipeline? _records;
    private readonly TimeProvider _time;

    /// <summary>Creates a maintenance view of <paramref name="storage"/>; neither is disposed by this instance.</summary>
    /// <param name="storage">The store the applications use.</param>
    /// <param name="keys">The applications' key ring, or null for the operations that need no keys.</param>
    /// <param name="timeProvider">The clock that decides what is expired; the system clock by default.</param>
    public SessionStoreMaintenance(SessionStorage storage, SessionKeyRing? keys, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = storage;
        if (keys is not null)
        {
            // Records are bound to their storage key (docs/envelope-format.md), which is all maintenance ever sees, so
            // the connector's pipeline opens and re-seals them here without any session ID.
            _protector = new SessionProtector(keys);
            _records = new RecordPipeline(_protector);
        }
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Counts records, bytes, records per key id and by time to expiry, expired and undecryptable records.</summary>
    /// <param name="options">Batching and progress; <see cref="MaintenanceOptions.DryRun"/> is irrelevant.</param>
    /// <param name="cancellationToken">Stops the census.</param>
    public async Task<SessionStoreStats> GetStatsAsync(MaintenanceOptions? options = null, CancellationToken cancellationToken = default)
    {
        var census = new Census(_records is not null);
        DateTimeOffset now = _time.GetUtcNow();
        await RunAsync(options, dryRun: true, (key, record, tally, ct) =>
        {
            RecordFailure failure = RecordFailure.None;
            bool expired = record.ExpiresAt is { } at && at <= now;
            byte[]? payload = null;
            PayloadHeader header = default;
            if (_records is not null && !expired) failure = Open(_records, key, record, now, out payload, out header);
            census.Add(record, now, failure);
            // Principals are counted by their generation records (one each), bound sessions by their payload header.
            if (failure == RecordFailure.None && payload is not null) census.AddPrincipalRecord(Principals.PrincipalRecords.TryReadGeneration(payload, out _), header.Principal is not null);
            tally.Skip();
            return default;
        }, cancellationToken).ConfigureAwait(false);
        return census.ToStats(_records?.PrimaryKeyId);
    }

    /// <summary>
    /// Deletes every record past its stored expiry, each only if it still carries the version read (a session an
    /// application renewed meanwhile stays). Needs no keys.
    /// </summary>
    /// <param name="options">Batching, parallelism, progress and dry run.</param>
    /// <param name="cancellationToken">Stops the pass; what was deleted stays deleted.</param>
    public Task<MaintenanceResult> PurgeExpiredAsync(MaintenanceOptions? options = null, CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = _time.GetUtcNow();
        // The purge's own walk: a store that can tell a live record from its header alone passes it by unread.
        return RunAsync(options, options?.DryRun ?? false, (key, record, tally, ct) =>
            record.Version != 0 && record.ExpiresAt is { } at && at <= now
                ? DeleteIfUnchangedAsync(key, record, tally, options?.DryRun ?? false, ct)
                : Skipped(tally), cancellationToken, (batchSize, ct) => _storage.EnumerateForPurgeAsync(now, batchSize, ct));
    }

    /// <summary>
    /// Re-seals every live record that is not under the primary key, so old keys hold nothing and can be revoked.
    /// Each rewrite is a compare-and-set on the version read with a newer version: when an application wrote the record
    /// meanwhile, its write stays and the rotation re-reads it (re-sealing it only if it is still under an old key).
    /// </summary>
    /// <remarks>
    /// Resumable: a pass skips records already under the primary, so running it again after an interruption only
    /// rewrites what is left. Records that do not open are counted in <see cref="MaintenanceResult.Failures"/> and left
    /// as they are (see <see cref="VerifyAsync"/>). Applications must already hold the primary key (runbook:
    /// docs/operations.md), or they will read the re-sealed records as absent.
    /// </remarks>
    /// <param name="options">Batching, parallelism, progress and dry run.</param>
    /// <param name="cancellationToken">Stops the pass; what was re-sealed stays re-sealed.</param>
    /// <exception cref="InvalidOperationException">No key ring was given.</exception>
    public Task<MaintenanceResult> RotateAsync(MaintenanceOptions? options = null, CancellationToken cancellationToken = default)
    {
        RecordPipeline records = RequireRecords();
        bool dryRun = options?.DryRun ?? false;
        return RunAsync(options, dryRun, (key, record, tally, ct) => ResealAsync(records, key, record, tally, dryRun, ct), cancellationToken);
    }

    /// <summary>
    /// Authenticates every unexpired record and counts failures by reason; with <paramref name="evict"/> deletes the
    /// failing records (each only at the version read), except those under a key id the ring has never held, which
    /// other nodes may be able to read (delete them explicitly with <see cref="DeleteByKeyIdAsync"/>).
    /// </summary>
    /// <param name="evict">Delete the records that fail.</param>
    /// <param name="options">Batching, parallelism, progress and dry run.</param>
    /// <param name="cancellationToken">Stops the pass.</param>
    /// <exception cref="InvalidOperationException">No key ring was given.</exception>
    public Task<MaintenanceResult> VerifyAsync(bool evict, MaintenanceOptions? options = null, CancellationToken cancellationToken = default)
    {
        RecordPipeline records = RequireRecords();
        bool dryRun = options?.DryRun ?? false;
        DateTimeOffset now = _time.GetUtcNow();
        return RunAsync(options, dryRun, (key, record, tally, ct) =>
        {
            if (record.ExpiresAt is { } at && at <= now) return Skipped(tally);
            RecordFailure failure = Open(records, key, record, now, out _, out _);
            if (failure == RecordFailure.None) return Skipped(tally);
            tally.Fail(failure);
            return evict && failure != RecordFailure.UnknownKey ? DeleteIfUnchangedAsync(key, record, tally, dryRun, ct) : default;
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes every record sealed under <paramref name="keyId"/> (revoking a leaked key's sessions), each only at the
    /// version read: a session an application re-sealed under another key meanwhile stays. Needs no keys.
    /// </summary>
    /// <param name="keyId">The key id in the envelope header.</param>
    /// <param name="options">Batching, parallelism, progress and dry run.</param>
    /// <param name="cancellationToken">Stops the pass.</param>
    public Task<MaintenanceResult> DeleteByKeyIdAsync(uint keyId, MaintenanceOptions? options = null, CancellationToken cancellationToken = default)
    {
        bool dryRun = options?.DryRun ?? false;
        return RunAsync(options, dryRun, (key, record, tally, ct) =>
            RecordPipeline.TryReadKeyId(record, out uint id) && id == keyId
                ? DeleteIfUnchangedAsync(key, record, tally, dryRun, ct)
                : Skipped(tally), cancellationToken);
    }

    /// <summary>Deletes the session <paramref name="sessionId"/>; returns whether a live record existed.</summary>
    /// <param name="sessionId">The session ID (as the application's cookie holds it).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="InvalidSessionIdException">The ID is not a valid session ID.</exception>
    /// <exception cref="InvalidOperationException">No key ring was given (the ring names records).</exception>
    public async Task<bool> DeleteAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        string key = StorageKeyOf(sessionId);
        return await _storage.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Decrypts the session <paramref name="sessionId"/> and shows its data as JSON without the application's types.
    /// Returns null when no live record exists. The result holds the session's plaintext.
    /// </summary>
    /// <param name="sessionId">The session ID.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="InvalidSessionIdException">The ID is not a valid session ID.</exception>
    /// <exception cref="InvalidOperationException">No key ring was given.</exception>
    public async Task<SessionInspection?> InspectAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        RecordPipeline records = RequireRecords();
        string key = StorageKeyOf(sessionId);
        if (await _storage.ReadAsync(key, cancellationToken).ConfigureAwait(false) is not { } record) return null;
        uint? keyId = RecordPipeline.TryReadKeyId(record, out uint id) ? id : null;
        RecordFailure failure = Open(records, key, record, _time.GetUtcNow(), out byte[] payload, out PayloadHeader header);
        if (failure != RecordFailure.None) return new SessionInspection(key, record.Version, record.ExpiresAt, keyId, failure, null, null, null, null);
        string? json = GenericJsonView.TryConvert(header.Format, RecordPipeline.DataOf(payload));
        return new SessionInspection(key, record.Version, record.ExpiresAt, keyId, json is null ? RecordFailure.BadPayload : RecordFailure.None,
            header.Format, header.ExpiresAt, header.AbsoluteExpiresAt, json);
    }

    /// <summary>Releases the key material derived for this instance (not the ring or the storage).</summary>
    public void Dispose() => _protector?.Dispose();

    private RecordPipeline RequireRecords() =>
        _records ?? throw new InvalidOperationException("This maintenance operation decrypts records and needs the applications' key ring.");

    /// <summary>
    /// Opens a record through the pipeline and reports the result as maintenance does. An expired record that
    /// authenticates opens (its payload is handed out): expiry is the caller's question, not an integrity failure.
    /// </summary>
    private static RecordFailure Open(RecordPipeline records, string key, in StoredRecord record, DateTimeOffset now, out byte[] payload, out PayloadHeader header) =>
        records.TryOpen(key, record.Version, record.Value, now, out payload, out header) switch
        {
            OpenResult.Ok or OpenResult.Expired => RecordFailure.None,
            OpenResult.BadVersion or OpenResult.Damaged => RecordFailure.Damaged,
            OpenResult.UnknownKey => RecordFailure.UnknownKey,
            OpenResult.RevokedKey => RecordFailure.RevokedKey,
            OpenResult.Authentication => RecordFailure.Authentication,
            _ => RecordFailure.BadPayload,
        };

    private string StorageKeyOf(string sessionId)
    {
        if (!SessionIds.IsValid(sessionId)) throw new InvalidSessionIdException("Invalid session ID: not a session ID this library issues or accepts.");
        RequireRecords();
        return _protector!.DeriveStorageKey(sessionId);
    }

    /// <summary>
    /// The one walk every pass shares: batches of <see cref="MaintenanceOptions.BatchSize"/> records (a key repeated by
    /// the backend's scan is visited once per batch), each batch processed with bounded parallelism, progress after each.
    /// </summary>
    private async Task<MaintenanceResult> RunAsync(MaintenanceOptions? options, bool dryRun, Func<string, StoredRecord, MaintenanceTally, CancellationToken, ValueTask> visit, CancellationToken cancellationToken,
        Func<int, CancellationToken, IAsyncEnumerable<KeyValuePair<string, StoredRecord>>>? walk = null)
    {
        options ??= s_defaults;
        var tally = new MaintenanceTally();
        var batch = new Dictionary<string, StoredRecord>(options.BatchSize, StringComparer.Ordinal);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism ?? _storage.MaintenanceParallelism, CancellationToken = cancellationToken };
        IAsyncEnumerable<KeyValuePair<string, StoredRecord>> records = walk is null
            ? _storage.EnumerateAsync(options.BatchSize, cancellationToken)
            : walk(options.BatchSize, cancellationToken);
        await foreach (KeyValuePair<string, StoredRecord> entry in records.ConfigureAwait(false))
        {
            batch[entry.Key] = entry.Value;
            if (batch.Count == options.BatchSize) await FlushAsync().ConfigureAwait(false);
        }

        await FlushAsync().ConfigureAwait(false);
        return tally.ToResult(dryRun);

        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            await Parallel.ForEachAsync(batch, parallel, (entry, ct) => visit(entry.Key, entry.Value, tally, ct)).ConfigureAwait(false);
            tally.AddScanned(batch.Count);
            batch.Clear();
            options.Progress?.Invoke(new MaintenanceProgress(tally.Scanned, tally.Changed));
        }
    }

    private async ValueTask ResealAsync(RecordPipeline records, string key, StoredRecord record, MaintenanceTally tally, bool dryRun, CancellationToken cancellationToken)
    {
        bool conflicted = false;
        for (int attempt = 1; ; attempt++)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (record.ExpiresAt is { } at && at <= now)
            {
                Count(tally, conflicted, changed: false);
                return;
            }

            if (!RecordPipeline.TryReadKeyId(record, out uint keyId))
            {
                tally.Fail(RecordFailure.Damaged);
                return;
            }

            if (keyId == records.PrimaryKeyId)
            {
                Count(tally, conflicted, changed: false);
                return;
            }

            RecordFailure failure = Open(records, key, record, now, out byte[] payload, out PayloadHeader header);
            if (failure != RecordFailure.None)
            {
                tally.Fail(failure);
                return;
            }

            if (header.IsExpired(now))
            {
                Count(tally, conflicted, changed: false);
                return;
            }

            if (dryRun)
            {
                tally.Change();
                return;
            }

            // The connectors' version rule and this process's clock: newer than the version read, so every cache and
            // compare-and-set in the applications sees a change.
            long newVersion = RecordVersions.Next(record.Version, now.UtcTicks, Stripes.Of(key));
            byte[] envelope = records.Reseal(key, payload, newVersion);
            if (await _storage.TryWriteAsync(key, envelope, record.ExpiresAt, record.Version, newVersion, cancellationToken).ConfigureAwait(false))
            {
                // The retired key is what a rotation removes: a store that keeps the replaced record gets the new one twice,
                // so its previous copy is the re-sealed record too. A write that came in between replaced it anyway.
                if (_storage.KeepsPreviousRecord)
                {
                    await _storage.TryWriteAsync(key, envelope, record.ExpiresAt, newVersion, newVersion, cancellationToken).ConfigureAwait(false);
                }

                Count(tally, conflicted, changed: true);
                return;
            }

            // An application wrote (or deleted) the record after we read it: its write stands. Look at what it wrote.
            conflicted = true;
            if (attempt == MaxRotateAttempts || await _storage.ReadAsync(key, cancellationToken).ConfigureAwait(false) is not { } current)
            {
                tally.Conflict();
                return;
            }

            record = current;
        }
    }

    private static void Count(MaintenanceTally tally, bool conflicted, bool changed)
    {
        if (conflicted) tally.Conflict();
        if (changed) tally.Change();
        else if (!conflicted) tally.Skip();
    }

    private async ValueTask DeleteIfUnchangedAsync(string key, StoredRecord record, MaintenanceTally tally, bool dryRun, CancellationToken cancellationToken)
    {
        if (dryRun || await _storage.TryDeleteAsync(key, record.Version, cancellationToken).ConfigureAwait(false)) tally.Change();
        else tally.Conflict();
    }

    private static ValueTask Skipped(MaintenanceTally tally)
    {
        tally.Skip();
        return default;
    }
}
