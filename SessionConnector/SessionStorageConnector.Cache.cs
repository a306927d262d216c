using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using SessionConnector.Caching;
using SessionConnector.Internal;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;

namespace SessionConnector;

// Cache bookkeeping: the bounded snapshot cache in front of storage, its deletion markers, and the invalidations a shared
// backend raises.
public sealed partial class SessionStorageConnector
{
    // The hit path reads Environment.TickCount64 (a coarse monotonic clock, a few ns) instead of the session clock (a
    // TimeProvider call and a real-time clock read, which costs more than the cache lookup itself). An entry is confirmed
    // against the session clock at most once a second, and the monotonic deadline it then gets ends ClockMarginMs before
    // the real one, which covers the coarse clock's resolution (≤ 15.6 ms): a hit never serves what the precise check
    // would call expired. Only the system clock gets the fast path; a test's fake TimeProvider is always asked.
    private const long ClockMarginMs = 32;
    private const long MaxMonotonicWindowMs = 1000;

    /// <summary>A fresh cached copy the caller owns, or false (no cache, a miss, a marker, or an expired or stale entry).</summary>
    private bool TryGetCachedEntry<T>(string id, [NotNullWhen(true)] out CachedSession? entry, [MaybeNullWhen(false)] out T value)
        where T : ISessionData<T>
    {
        if (TryGetCachedSnapshot<T>(id, out entry, out T? snapshot))
        {
            value = T.DeepClone(snapshot);
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>
    /// The fresh cached snapshot itself, or false (no cache, a miss, a marker, or an expired or stale entry). The snapshot
    /// is shared by every reader: callers get a deep copy of it or a read-only view over it, never the instance.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryGetCachedSnapshot<T>(string id, [NotNullWhen(true)] out CachedSession? entry, [MaybeNullWhen(false)] out T snapshot)
        where T : ISessionData<T>
    {
        if (_cache is not null && _cache.TryGet(id, out entry) && entry.Snapshot is T cached)
        {
            long tick = Environment.TickCount64;
            // Volatile: a long is read and written whole even on 32-bit targets, so a torn deadline can never pass.
            // A bound session is served only while its principal's cached generation still matches (never for an unbound one).
            if (tick < Volatile.Read(ref entry.FreshUntilTick) || ConfirmFresh(entry, tick))
            {
                // With a change table, another process (or a collision in the slot) changed what this entry was read from:
                // it goes, as an invalidation would remove it, and the read that follows caches the record as it is now.
                if (_changes is not null && !_changes.IsCurrent(entry.ChangeSlot, entry.ChangeStamp))
                {
                    _cache.Remove(id, entry);
                    _failSafeCopies?.TryRemove(entry.StorageKey, out _);
                    entry = null;
                    snapshot = default;
                    return false;
                }

                if (entry.Principal is null || IsStampCurrentCached(entry.Principal))
                {
                    _metrics.CacheHit();
                    snapshot = cached;
                    return true;
                }

                // Fresh and bound on a backend that raises no invalidations (file storage): no cached generation can be
                // trusted here (or, with a change table, none is cached or its slot moved), so the entry stays for
                // LoadCoreAsync, which asks storage for the generation (TryGetFreshBound) and caches it again.
                if (_invalidations is null)
                {
                    entry = null;
                    snapshot = default;
                    return false;
                }
            }

            // Expired or past its maximum age: drop it so the next read refreshes it, unless fail-safe may still need it
            // (the read that follows replaces or forgets it).
            if (_failSafeTicks == 0 || !IsServableStale(entry, NowTicks)) _cache.Remove(id, entry);
        }

        entry = null;
        snapshot = default;
        return false;
    }

    /// <summary>
    /// A fresh cached bound session whose stamp only storage can confirm (no invalidations: nothing would tell the cache
    /// about a sign-out everywhere), for the miss path to check against the stored generation.
    /// </summary>
    private bool TryGetFreshBound<T>(string id, [NotNullWhen(true)] out CachedSession? entry, [MaybeNullWhen(false)] out T snapshot)
        where T : ISessionData<T>
    {
        if (_cache is not null && _invalidations is null && _cache.TryGet(id, out entry) && entry.Snapshot is T cached && entry.Principal is not null)
        {
            long tick = Environment.TickCount64;
            if (tick < Volatile.Read(ref entry.FreshUntilTick) || ConfirmFresh(entry, tick))
            {
                snapshot = cached;
                return true;
            }
        }

        entry = null;
        snapshot = default;
        return false;
    }

    /// <summary>The precise check against the session clock; a fresh entry gets a monotonic deadline for the fast path.</summary>
    private bool ConfirmFresh(CachedSession entry, long tick)
    {
        long now = NowTicks;
        long deadline = Math.Min(entry.ExpiresAtTicks, Math.Min(entry.AbsoluteExpiresAtTicks, entry.StaleAtTicks));
        if (deadline <= now) return false;
        if (ReferenceEquals(_time, TimeProvider.System))
        {
            // tick was read before now, so the window is measured from no later than the precise read.
            Volatile.Write(ref entry.FreshUntilTick, tick + Math.Min((deadline - now) / TimeSpan.TicksPerMillisecond - ClockMarginMs, MaxMonotonicWindowMs));
        }

        return true;
    }

    /// <summary>
    /// How many invalidations the record's stripe has seen. Read before a storage call and passed to <see cref="CachePut"/>,
    /// it lets an invalidation that lands while the call is in flight keep the call's (possibly stale) record out of the cache.
    /// </summary>
    private long InvalidationCount(string storageKey) =>
        _invalidations is null ? 0 : Volatile.Read(ref _invalidations[Stripes.Of(storageKey)]);

    /// <summary>
    /// The record's change-table stamp (see <see cref="ChangeTable"/>), taken before a storage call and passed to
    /// <see cref="CachePut"/>: as is after a read, through <see cref="ChangeTable.AfterOwnChange"/> after this process's write.
    /// <see cref="ChangeTable.NoStamp"/> without a table.
    /// </summary>
    private long ChangeStampOf(string storageKey) =>
        _changes is null ? ChangeTable.NoStamp : _changes.Stamp(ChangeTable.SlotOf(storageKey));

    /// <summary>Caches <paramref name="ownedValue"/> (a private copy no caller holds) unless a newer version is cached.</summary>
    private void CachePut<T>(string id, string storageKey, T ownedValue, long version, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, long invalidationCount, long changeStamp, Serialization.PrincipalStamp? principal = null)
        where T : ISessionData<T>
    {
        if (_cache is null) return;
        // Storage just confirmed a newer state (a read or a write): a copy set aside for fail-safe is older than what the
        // caller may have been acknowledged, so it must never answer again (found by the soak: a write acknowledged after
        // an outage, then a copy from that outage served during the next one).
        _failSafeCopies?.TryRemove(storageKey, out _);
        // A bound session is cached on every backend: without invalidations or a change table its hit is served only after
        // storage confirms the principal's generation (TryGetFreshBound, LoadCoreAsync), since no cached generation is
        // trusted there. CacheMaxAge bounds every entry, stamped or not: a tampered change table cannot stretch staleness
        // beyond what a store without one allows.
        long now = NowTicks;
        long expires = ExpiryTicks.Of(expiresAt);
        if (expires <= now) return;
        int slot = _changes is null ? 0 : ChangeTable.SlotOf(storageKey);
        var entry = new CachedSession(ownedValue, version, expires, ExpiryTicks.Of(absoluteExpiresAt), now + _cacheMaxAgeTicks, storageKey, principal, slot, changeStamp);
        CacheSet(id, entry, invalidationCount);
    }

    /// <summary>
    /// Caches <paramref name="entry"/> unless a newer version is cached, and takes it out again when an invalidation of its
    /// stripe was counted since <paramref name="invalidationCount"/> was read (before the storage call the entry reflects).
    /// </summary>
    private void CacheSet(string id, CachedSession entry, long invalidationCount)
    {
        _cache!.Set(id, entry, CachedSession.IsNewer);
        if (_invalidations is null) return;

        // Full fence: the entry (and its index row, added under the cache's lock) must be visible before the count is read.
        // Then either the invalidation's increment is seen here and the entry goes, or it came after and its handler finds
        // the entry through the index and removes it.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _invalidations[Stripes.Of(entry.StorageKey)]) != invalidationCount) _cache.Remove(id, entry);
    }

    /// <summary>
    /// After BindPrincipal rewrote a session from <paramref name="unboundVersion"/> to <paramref name="boundVersion"/> (the
    /// same data, sealed with <paramref name="principal"/>): a cached snapshot of exactly the unbound version is cached again
    /// as the bound record, so the next read is a hit. Without one, a deletion marker just below the bound version keeps a
    /// slower reader from caching the unbound record (or anything older) while the bound record, once read, outranks it.
    /// Either entry loses to anything newer already cached (a later write or a delete's marker, which outranks every version
    /// this process issued before it). <paramref name="invalidationCount"/> is the stripe's count the write began at plus this
    /// process's own increment for it; <paramref name="changeStamp"/> the session's stamp after the write
    /// (<see cref="ChangeTable.AfterOwnChange"/>).
    /// </summary>
    private void CacheRebound(string id, string storageKey, long unboundVersion, long boundVersion, Serialization.PrincipalStamp principal, long invalidationCount, long changeStamp)
    {
        if (_cache is null) return;
        _failSafeCopies?.TryRemove(storageKey, out _);
        if (_cache.TryGet(id, out CachedSession? unbound) && unbound.Snapshot is not null && unbound.Version == unboundVersion)
        {
            // Versions of one key are never reused, so the snapshot cached at the unbound version holds the data the bind
            // kept byte for byte; only the stamp and the version change.
            int slot = _changes is null ? 0 : ChangeTable.SlotOf(storageKey);
            CacheSet(id, new CachedSession(unbound.Snapshot, boundVersion, unbound.ExpiresAtTicks, unbound.AbsoluteExpiresAtTicks, NowTicks + _cacheMaxAgeTicks, storageKey, principal, slot, changeStamp), invalidationCount);
            return;
        }

        // boundVersion > unboundVersion, so the marker is at least the unbound version, which it blocks (a marker wins ties).
        _cache.Set(id, new CachedSession(null, boundVersion - 1, ExpiryTicks.None, ExpiryTicks.None, long.MaxValue, storageKey), CachedSession.IsNewer);
    }

    private void CacheMarkDeleted(string id, string storageKey)
    {
        if (_cache is null) return;
        // The marker below can be evicted for capacity; the deleted session's fail-safe copy must not outlive it.
        _failSafeCopies?.TryRemove(storageKey, out _);
        // Versions this process issues for one key only grow (they come from the key's stripe of the clock), so a marker
        // issued now outranks every version of this session that reached storage from this process before this delete: a
        // slower Set/Update/Get cannot put pre-delete data back in the cache. Writes issued after it outrank it.
        int stripe = Stripes.Of(storageKey);
        long floor = Math.Max(Records.RecordVersions.LastIssued(stripe), 1);
        if (_cache.TryGet(id, out CachedSession? existing)) floor = Math.Max(floor, existing.Version);
        long version = NextVersion(floor, stripe);
        _cache.Set(id, new CachedSession(null, version, ExpiryTicks.None, ExpiryTicks.None, long.MaxValue, storageKey), CachedSession.IsNewer);
    }

    private void OnCacheEvicted(string id, CachedSession entry) => _metrics.CacheEviction();

    // The storage-key index lives exactly as long as the cache entries: both callbacks run under the cache's write lock, on
    // every path an entry enters or leaves (add, replace, remove, evict, clear), so the index never outgrows the cache.
    private void OnCacheLinked(CachedSession entry) => _idsByStorageKey![entry.StorageKey] = entry.Key;

    private void OnCacheUnlinked(CachedSession entry) =>
        _idsByStorageKey!.TryRemove(new KeyValuePair<string, string>(entry.StorageKey, entry.Key));

    private void OnStorageInvalidated(string storageKey)
    {
        // Count first, then evict: a read in flight either sees the count move or its entry is already in the index.
        Interlocked.Increment(ref _invalidations![Stripes.Of(storageKey)]);
        _generations.TryRemove(storageKey, out _);
        if (_idsByStorageKey!.TryGetValue(storageKey, out string? id)) _cache!.Remove(id);
        _failSafeCopies?.TryRemove(storageKey, out _);
    }

    private void OnStorageInvalidatedAll()
    {
        for (int i = 0; i < _invalidations!.Length; i++) Interlocked.Increment(ref _invalidations[i]);
        if (_failSafeTicks > 0) KeepFailSafeCopies();
        _generations.Clear();
        _cache!.Clear();
    }

    // ---- fail-safe reads (SessionConnectorOptions.FailSafeMaxStaleness) ----------------------------------------------

    /// <summary>
    /// Whether a cached copy may answer a read while storage fails: a session (not a deletion marker), before its sealed
    /// expiry (sliding and absolute), and last confirmed by storage at most the fail-safe staleness ago. Invalidations and
    /// deletions this connector knows of have already removed the copy or replaced it with a marker. A session bound to
    /// a principal is never served stale: while storage fails, a sign-out everywhere announced meanwhile cannot be
    /// checked, so such a session fails closed.
    /// </summary>
    private bool IsServableStale(CachedSession entry, long now) =>
        entry.Snapshot is not null
        && entry.Principal is null
        && now < Math.Min(entry.ExpiresAtTicks, entry.AbsoluteExpiresAtTicks)
        && now - ConfirmedAtTicks(entry) <= _failSafeTicks;

    // The entry's maximum-age deadline was set at the moment storage confirmed it (a read or a write).
    private long ConfirmedAtTicks(CachedSession entry) => entry.StaleAtTicks - _cacheMaxAgeTicks;

    // A shared backend (Redis) empties the cache whenever it may have missed invalidations: while disconnected and after a
    // reconnect. With fail-safe on, the servable copies are set aside here first, keyed by storage key so a later
    // invalidation still finds them: they answer only reads whose storage call fails (a healthy read replaces or forgets
    // them), so a missed invalidation never leaves a copy served while storage answers.
    private ConcurrentDictionary<string, CachedSession>? _failSafeCopies;

    private void KeepFailSafeCopies()
    {
        if (_cache is null || _idsByStorageKey is null) return;
        ConcurrentDictionary<string, CachedSession> copies = _failSafeCopies
            ?? Interlocked.CompareExchange(ref _failSafeCopies, new ConcurrentDictionary<string, CachedSession>(StringComparer.Ordinal), null)
            ?? _failSafeCopies!;
        long now = NowTicks;
        foreach (KeyValuePair<string, CachedSession> kept in copies)
        {
            if (!IsServableStale(kept.Value, now)) copies.TryRemove(kept);
        }

        foreach (KeyValuePair<string, string> indexed in _idsByStorageKey)
        {
            // Bounded like the cache itself, so repeated clears during an outage cannot grow it.
            if (copies.Count >= _cache.Capacity) break;
            if (_cache.TryGet(indexed.Value, out CachedSession? entry) && IsServableStale(entry, now)) copies[indexed.Key] = entry;
        }
    }

    private bool TryServeStale<T>(string id, SessionStorageException cause, bool copy, out (bool Found, VersionedSession<T> Session) result)
        where T : ISessionData<T>
    {
        long now = NowTicks;
        // The cache's own entry decides when there is one (a deletion marker there means no); a copy set aside only when not.
        CachedSession? entry = null;
        if (_cache is not null && !_cache.TryGet(id, out entry)) _failSafeCopies?.TryGetValue(StorageKeyOf(id), out entry);
        if (entry is not null && entry.Snapshot is T snapshot && IsServableStale(entry, now))
        {
            T value = copy ? T.DeepClone(snapshot) : snapshot;
            DateTimeOffset? expiresAt = entry.ExpiresAtTicks == long.MaxValue ? null : new DateTimeOffset(entry.ExpiresAtTicks, TimeSpan.Zero);
            DateTimeOffset? absolute = entry.AbsoluteExpiresAtTicks == long.MaxValue ? null : new DateTimeOffset(entry.AbsoluteExpiresAtTicks, TimeSpan.Zero);
            _metrics.StaleServed(TimeSpan.FromTicks(now - ConfirmedAtTicks(entry)), cause);
            result = (true, new VersionedSession<T>(value, entry.Version, expiresAt, absolute));
            return true;
        }

        result = default;
        return false;
    }

    /// <summary>Drops a session copy kept past its maximum age (never a deletion marker, which must outrank slower writes).</summary>
    private void ForgetStale(string id)
    {
        if (_cache is null) return;
        if (_cache.TryGet(id, out CachedSession? entry) && entry.Snapshot is not null) _cache.Remove(id, entry);
        _failSafeCopies?.TryRemove(StorageKeyOf(id), out _);
    }
}
