using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Principals;
using SessionConnector.Records;
using SessionConnector.Serialization;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;

namespace SessionConnector;

// Principals: binding a session to a principal, and "sign out everywhere" through the principal's revocation generation, a
// record of its own in the configured storage. A bound session carries the generation it was sealed at (inside its
// authenticated payload) and is live only while the generation record still holds it, so one write to that record ends
// every session of the principal on every node, whether or not any index of those sessions is complete. See docs/principals.md.
public sealed partial class SessionStorageConnector
{
    // Generations this node has read, by generation-record storage key. Trusted without a storage read only when the backend
    // raises invalidations (the bump's write evicts the entry on every node, as it evicts a cached session), or while the
    // file store's change table still holds the stamp the entry was read at (the bump's write moves it, in every process);
    // otherwise an entry only saves the decrypt: a read that finds the same version and envelope bytes reuses the generation.
    private readonly ConcurrentDictionary<string, GenerationEntry> _generations = new(StringComparer.Ordinal);

    /// <summary>
    /// Binds an existing session to <paramref name="principalId"/> (a user or account id the application chooses), at the
    /// principal's current revocation generation. The record keeps its data and expiry; only a keyed hash of the principal
    /// id is stored. <see cref="SignOutEverywhere"/> then ends it. Binding again to another principal moves it.
    /// </summary>
    /// <remarks>
    /// <see cref="Set{T}"/> replaces a record whole, binding included: bind again after a <see cref="Set{T}"/>.
    /// <see cref="Update{T}(string, Func{T, T})"/> and <see cref="SessionStore{T}"/> commits keep the binding.
    /// </remarks>
    /// <param name="id">The session ID.</param>
    /// <param name="principalId">The user or account id.</param>
    /// <param name="label">Shown in <see cref="ListPrincipalSessions"/> (e.g. "Firefox on Linux"); at most 255 UTF-8 bytes are kept.</param>
    /// <returns>
    /// False when the session does not exist, expired, or was deleted or changed by another writer meanwhile, or when the
    /// principal is at <see cref="SessionConnectorOptions.MaxSessionsPerPrincipal"/> under <see cref="SessionCapPolicy.RefuseNew"/>
    /// (or a concurrent binding under <see cref="SessionCapPolicy.EndOldest"/> ended this one).
    /// </returns>
    /// <exception cref="InvalidSessionIdException">The ID is malformed.</exception>
    /// <exception cref="ArgumentException"><paramref name="principalId"/> is null, empty or longer than 1,024 characters.</exception>
    public bool BindPrincipal(string id, string principalId, string? label = null) =>
        Sync.Result(BindPrincipalCoreAsync(id, principalId, label, async: false, default));

    /// <summary>Async twin of <see cref="BindPrincipal"/>.</summary>
    public ValueTask<bool> BindPrincipalAsync(string id, string principalId, string? label = null, CancellationToken cancellationToken = default) =>
        BindPrincipalCoreAsync(id, principalId, label, async: true, cancellationToken);

    /// <summary>
    /// Ends every session bound to <paramref name="principalId"/>, on every node, with one write: the principal's revocation
    /// generation moves on, and a session sealed at an older generation reads as absent from then on (on a backend that
    /// raises invalidations, from when the write's invalidation reaches a node; see docs/principals.md). Sessions bound
    /// after this call are live.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="principalId"/> is null, empty or longer than 1,024 characters.</exception>
    /// <exception cref="SessionConflictException">Other writers of the generation won every allowed attempt.</exception>
    public void SignOutEverywhere(string principalId) => Sync.Result(SignOutEverywhereCoreAsync(PrincipalHashOf(principalId), async: false, default));

    /// <summary>Async twin of <see cref="SignOutEverywhere"/>.</summary>
    public async ValueTask SignOutEverywhereAsync(string principalId, CancellationToken cancellationToken = default) =>
        await SignOutEverywhereCoreAsync(PrincipalHashOf(principalId), async: true, cancellationToken).ConfigureAwait(false);

    /// <summary>The keyed hash of a principal id as stored (32 bytes): what indexes and stamps hold instead of the id.</summary>
    internal byte[] PrincipalHashOf(string principalId)
    {
        PrincipalRecords.ValidatePrincipalId(principalId);
        return PrincipalRecords.FromBase64Url(_protector.DeriveStorageKey(PrincipalRecords.HashLabel(principalId)));
    }

    /// <summary>
    /// A stamp for binding a session to <paramref name="principalId"/> now: its hash and current generation (the generation
    /// record is created at the first binding). Used by <see cref="SessionStore{T}"/> and the web layer.
    /// </summary>
    internal async ValueTask<PrincipalStamp> StampPrincipalAsync(string principalId, bool async, CancellationToken ct)
    {
        EnsureOpen();
        byte[] hash = PrincipalHashOf(principalId);
        var probe = new PrincipalStamp(hash, 1);
        string genKey = GenerationKeyOf(probe);
        for (int attempt = 0; attempt < _maxAttempts; attempt++)
        {
            (long generation, long version) = await ReadGenerationAsync(genKey, trustCache: true, async, ct).ConfigureAwait(false);
            if (generation > 0) return new PrincipalStamp(hash, generation);

            // Absent (first binding) or unreadable (damaged, or under a revoked key): start a fresh generation. Over an
            // unreadable one that also ends whatever sessions it still governed, which is the closed way to fail.
            if (await TryWriteGenerationAsync(genKey, version, RecordVersions.Next(0, NowTicks, Stripes.Of(genKey)), async, ct).ConfigureAwait(false) is { } written)
            {
                return new PrincipalStamp(hash, written);
            }

            await BackoffAsync(attempt, async, ct).ConfigureAwait(false);
        }

        Throw.Conflict(_maxAttempts);
        return null!;
    }

    /// <summary>
    /// Whether a bound session's stamp still matches its principal's generation. The internal check every surface uses
    /// (the connector's reads, and sealed cookies, which carry a stamp of their own).
    /// </summary>
    internal async ValueTask<bool> IsStampCurrentAsync(PrincipalStamp stamp, bool async, CancellationToken ct)
    {
        (long generation, _) = await ReadGenerationAsync(GenerationKeyOf(stamp), trustCache: true, async, ct).ConfigureAwait(false);
        if (generation == stamp.Generation) return true;
        _metrics.Rejected("signed-out");
        return false;
    }

    /// <summary>The hit path's check: true only when a generation the invalidations or the change table keep current matches the stamp.</summary>
    private bool IsStampCurrentCached(PrincipalStamp stamp) =>
        (_invalidations is not null || _changes is not null)
        && _generations.TryGetValue(GenerationKeyOf(stamp), out GenerationEntry? known)
        && known.Generation == stamp.Generation
        && IsTrusted(known);

    /// <summary>
    /// Whether a cached generation answers without a storage read: always where invalidations evict it, while its change
    /// stamp holds where the file store's table does, never otherwise. CacheMaxAge bounds it like a cached session, so a
    /// tampered table cannot keep a generation trusted longer than a store without one would.
    /// </summary>
    private bool IsTrusted(GenerationEntry known) =>
        _invalidations is not null
        || (_changes is not null && _changes.IsCurrent(known.ChangeSlot, known.ChangeStamp) && MaxAgeClock < known.StaleAtTicks);

    // The clock of a generation's CacheMaxAge bound, in ticks: on the system clock the monotonic tick count (a few ns; the
    // session clock would cost more than the rest of the hit, see ConfirmFresh), else the session clock, so a test's fake
    // TimeProvider moves it.
    private long MaxAgeClock =>
        ReferenceEquals(_time, TimeProvider.System) ? Environment.TickCount64 * TimeSpan.TicksPerMillisecond : NowTicks;

    private string GenerationKeyOf(PrincipalStamp stamp) =>
        stamp.GenerationKey ??= StorageKeyOf(PrincipalRecords.GenerationLabel(stamp.Key));

    /// <summary>
    /// The principal's current generation and the record's version: (0, <see cref="SessionStorage.Absent"/>) when there is no
    /// record, (-1, its version) when it does not open. With <paramref name="trustCache"/> and a backend that raises
    /// invalidations, a cached generation answers without a storage read.
    /// </summary>
    private async ValueTask<(long Generation, long Version)> ReadGenerationAsync(string genKey, bool trustCache, bool async, CancellationToken ct)
    {
        if (trustCache && _generations.TryGetValue(genKey, out GenerationEntry? cached) && IsTrusted(cached))
        {
            return (cached.Generation, cached.Version);
        }

        long invalidations = InvalidationCount(genKey);
        long changeStamp = ChangeStampOf(genKey);
        if (await _store.ReadAsync(genKey, async, ct).ConfigureAwait(false) is not { } record)
        {
            _generations.TryRemove(genKey, out _);
            return (0, SessionStorage.Absent);
        }

        // The same authenticated bytes at the same version hold the same generation: skip the decrypt.
        // With a change table the entry is put again at this read's stamp, so the hits that follow trust it.
        if (_generations.TryGetValue(genKey, out GenerationEntry? known) && known.Version == record.Version && known.Envelope.AsSpan().SequenceEqual(record.Value))
        {
            if (_changes is not null && known.ChangeStamp != changeStamp)
            {
                _generations.TryUpdate(genKey, NewGenerationEntry(known.Generation, known.Version, known.Envelope, genKey, changeStamp), known);
            }

            return (known.Generation, known.Version);
        }

        OpenResult result = _records.TryOpen(genKey, record.Version, record.Value, _time.GetUtcNow(), out byte[] payload, out _);
        if (result != OpenResult.Ok || !PrincipalRecords.TryReadGeneration(payload, out long generation)) return (-1, record.Version);
        GenerationEntry entry = NewGenerationEntry(generation, record.Version, record.Value, genKey, changeStamp);
        _generations[genKey] = entry;

        // As CachePut: an invalidation that landed while the read was in flight must not leave its stale result trusted.
        Interlocked.MemoryBarrier();
        if (InvalidationCount(genKey) != invalidations) _generations.TryRemove(new KeyValuePair<string, GenerationEntry>(genKey, entry));
        return (generation, record.Version);
    }

    /// <summary>Writes <paramref name="generation"/> if the record is still at <paramref name="expectedVersion"/>; null when another writer won.</summary>
    private async ValueTask<long?> TryWriteGenerationAsync(string genKey, long expectedVersion, long generation, bool async, CancellationToken ct)
    {
        long version = NextVersion(expectedVersion, Stripes.Of(genKey));
        byte[] envelope = _records.Reseal(genKey, PrincipalRecords.GenerationPayload(generation), version);
        long changeStamp = ChangeStampOf(genKey);
        // Never expires: a lost generation record reads as "no generation", which no bound session matches (fail closed).
        // On a PowerLoss file store this write fsyncs the store folder itself, even at a first login, where the index and
        // session records that follow (same folder, renamed after it) fsync it again and would cover this rename: the
        // generation is visible from its rename on (to this connector's _generations and to other processes' reads), and
        // a sealed cookie (SessionSealer) bound to it is acknowledged with no storage write of its own. Deferring this
        // fsync would let such a cookie, sent meanwhile, name a generation that power loss takes away.
        bool written = await _store.TryWriteAsync(genKey, envelope, null, expectedVersion, version, async, ct).ConfigureAwait(false);
        _generations.TryRemove(genKey, out _);
        if (!written) return null;
        // Our own write raises no invalidation on this node: move the stripe so a read in flight does not cache the old generation.
        if (_invalidations is not null) Interlocked.Increment(ref _invalidations[Stripes.Of(genKey)]);
        _generations[genKey] = NewGenerationEntry(generation, version, envelope, genKey, ChangeTable.AfterOwnChange(changeStamp));
        return generation;
    }

    private GenerationEntry NewGenerationEntry(long generation, long version, byte[] envelope, string genKey, long changeStamp) =>
        _changes is null
            ? new GenerationEntry(generation, version, envelope, 0, ChangeTable.NoStamp, long.MaxValue)
            : new GenerationEntry(generation, version, envelope, ChangeTable.SlotOf(genKey), changeStamp, MaxAgeClock + _cacheMaxAgeTicks);

    /// <summary>The bump, by principal hash: the web layer signs out the principal a session is bound to without knowing its id.</summary>
    internal async ValueTask<long> SignOutEverywhereCoreAsync(byte[] principalHash, bool async, CancellationToken ct)
    {
        EnsureOpen();
        var probe = new PrincipalStamp(principalHash, 1);
        string genKey = GenerationKeyOf(probe);
        for (int attempt = 0; attempt < _maxAttempts; attempt++)
        {
            // Read from storage, not the cache: the bump must build on the newest generation to be a bump at all.
            (long generation, long version) = await ReadGenerationAsync(genKey, trustCache: false, async, ct).ConfigureAwait(false);
            long next = RecordVersions.Next(Math.Max(generation, 0), NowTicks, Stripes.Of(genKey));
            if (await TryWriteGenerationAsync(genKey, version, next, async, ct).ConfigureAwait(false) is { } written)
            {
                StartSignOutCleanup(new PrincipalStamp(probe.Hash, written));
                return written;
            }

            await BackoffAsync(attempt, async, ct).ConfigureAwait(false);
        }

        Throw.Conflict(_maxAttempts);
        return 0;
    }

    private async ValueTask<bool> BindPrincipalCoreAsync(string id, string principalId, string? label, bool async, CancellationToken ct)
    {
        EnsureOpen();
        SessionIds.Validate(id);
        PrincipalStamp stamp = await StampPrincipalAsync(principalId, async, ct).ConfigureAwait(false);
        StorageKeyEntry storageKey = StorageKeyEntryOf(id);
        string key = storageKey.StorageKey;
        PaddedGate gate = GateOf(storageKey.Stripe);
        await gate.EnterAsync(async, ct).ConfigureAwait(false);
        try
        {
            if (await _store.ReadAsync(key, async, ct).ConfigureAwait(false) is not { } current) return false;
            OpenResult result = _records.TryOpen(key, current.Version, current.Value, _time.GetUtcNow(), out byte[] payload, out PayloadHeader header);
            if (result != OpenResult.Ok) return false;
            if (header.Principal is { } old && !await IsStampCurrentAsync(old, async, ct).ConfigureAwait(false)) return false;

            // The index first: it is where the cap is decided, atomically. A binding it refuses writes nothing.
            (bool admitted, List<PrincipalIndex.Entry> ended) =
                await AddToIndexAsync(stamp, key, label, header.AbsoluteExpiresAt ?? header.ExpiresAt, async, ct).ConfigureAwait(false);
            if (!admitted) return false;

            // Rewritten at the payload level, so binding needs no session type: the data bytes stay as they are, and so does
            // the format byte (a legacy MessagePack record keeps its Guid order).
            ReadOnlySpan<byte> data = RecordPipeline.DataOf(payload).Span;
            var bound = new byte[SessionPayload.BoundHeaderSize + data.Length];
            SessionPayload.WriteHeader(bound, header.Format, header.ExpiresAt, header.AbsoluteExpiresAt, stamp);
            bound[0] = (byte)(payload[0] | SessionPayload.PrincipalFlag);
            data.CopyTo(bound.AsSpan(SessionPayload.BoundHeaderSize));
            long version = NextVersion(current.Version, storageKey.Stripe);
            byte[] envelope = _records.Reseal(key, bound, version);
            long invalidations = InvalidationCount(key);
            long changeStamp = ChangeStampOf(key);
            bool written = await _store.TryWriteAsync(key, envelope, header.ExpiresAt, current.Version, version, async, ct).ConfigureAwait(false);
            foreach (PrincipalIndex.Entry e in ended) await DeleteByStorageKeyAsync(e.StorageKey, async, ct).ConfigureAwait(false);

            // A concurrent binding may have pushed this one out of the index (EndOldest) before its record existed to delete:
            // end it here, so the cap holds once every binding has returned.
            if (written && _maxSessionsPerPrincipal > 0 && !await IsIndexedAsync(stamp, key, async, ct).ConfigureAwait(false))
            {
                await _store.TryDeleteAsync(key, version, async, ct).ConfigureAwait(false);
                written = false;
            }

            // Our own write raises no invalidation on this node: move the stripe so a read in flight does not cache the old
            // record. The bound session is then cached from the unbound snapshot (the same data), or else, below its version,
            // a marker keeps the unbound one out and lets the next read cache the bound one. Expecting exactly our increment
            // since the write began, an invalidation from another node meanwhile takes the bound entry out again.
            // A binding that did not stand is marked deleted.
            if (_invalidations is not null) Interlocked.Increment(ref _invalidations[storageKey.Stripe]);
            if (written) CacheRebound(id, key, current.Version, version, stamp, invalidations + 1, ChangeTable.AfterOwnChange(changeStamp));
            else CacheMarkDeleted(id, key);
            return written;
        }
        finally
        {
            gate.Exit();
        }
    }

    /// <summary>A bound session whose generation moved on: evicted at the version read (a newer write survives), then absent.</summary>
    private async ValueTask RejectSignedOutAsync(string id, string key, long version, bool async, CancellationToken ct)
    {
        await _store.TryDeleteAsync(key, version, async, ct).ConfigureAwait(false);
        _cache?.Remove(id);
    }

    private sealed class GenerationEntry(long generation, long version, byte[] envelope, int changeSlot, long changeStamp, long staleAtTicks)
    {
        /// <summary>The generation record's slot in the change table, and the value it was read (or written) at.</summary>
        public int ChangeSlot { get; } = changeSlot;

        public long ChangeStamp { get; } = changeStamp;

        /// <summary>When (<see cref="MaxAgeClock"/>) a stamped entry stops being trusted whatever its stamp says (CacheMaxAge).</summary>
        public long StaleAtTicks { get; } = staleAtTicks;

        public long Generation { get; } = generation;

        public long Version { get; } = version;

        public byte[] Envelope { get; } = envelope;
    }
}
