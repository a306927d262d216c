using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Caching;
using SessionConnector.Diagnostics;
using SessionConnector.Internal;
using SessionConnector.Protection;
using SessionConnector.Serialization;
using SessionConnector.Storage;

namespace SessionConnector;

/// <summary>
/// The connector: every session operation over one storage backend, with encryption between it and the
/// backend and a bounded write-through cache in front. <see cref="Sessions"/> is the static singleton over
/// one instance; create instances directly in tests or when one process needs two stores.
/// </summary>
/// <remarks>
/// Writes are compare-and-set on a per-record version, so concurrent <c>Update</c>s never lose a change
/// (across threads and across processes sharing a store), and a <c>Delete</c> is never undone by a slower
/// <c>Set</c>/<c>Update</c> that read the session before it was deleted.
/// </remarks>
public sealed partial class SessionStorageConnector : IDisposable, IAsyncDisposable
{
    private const int UpdateStripes = 256;

    private readonly SessionStorage _storage;
    private readonly SessionProtector _protector;
    private readonly SessionMetrics _metrics;
    private readonly ConcurrentSieveCache<string, CachedSession>? _cache;
    private readonly ConcurrentDictionary<string, string>? _idsByStorageKey;
    private readonly ConcurrentSieveCache<string, StorageKeyEntry> _storageKeys;
    private readonly SemaphoreSlim[] _updateGates;
    private readonly TimeProvider _time;
    private readonly SessionFormat _format;
    private readonly int _maxAttempts;
    private readonly long _cacheMaxAgeTicks;
    private volatile bool _closed;

    // A ring the connector created (development or environment keys) is the connector's to dispose;
    // a ring passed in options stays the caller's.
    private SessionKeyRing? _ownedKeys;

    /// <summary>Creates a connector over <paramref name="storage"/>; the connector owns and closes it.</summary>
    /// <exception cref="SessionStorageConnectorException">
    /// No key is configured (neither <see cref="SessionConnectorOptions.Keys"/> nor <c>SESSIONCONNECTOR_KEYS</c>) and
    /// <see cref="SessionConnectorOptions.UseDevelopmentKey"/> is not set, or the development key is unusable.
    /// </exception>
    public SessionStorageConnector(SessionStorage storage, SessionConnectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        options ??= new SessionConnectorOptions();
        if (options.MaxUpdateAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxUpdateAttempts must be at least 1.");
        if (options.CacheCapacity < 0) throw new ArgumentOutOfRangeException(nameof(options), "CacheCapacity cannot be negative.");
        if (options.CacheMaxAge < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "CacheMaxAge cannot be negative.");
        if (options.Format is not (SessionFormat.MessagePack or SessionFormat.Json)) throw new ArgumentOutOfRangeException(nameof(options), "Unknown session format.");
        if (options.Format == SessionFormat.Json && !JsonFormatFeature.IsSupported)
        {
            throw new SessionStorageConnectorException("SessionFormat.Json was chosen, but this app disables it with the SessionConnector.JsonFormat.IsSupported switch.");
        }

        _storage = storage;
        _time = options.TimeProvider ?? TimeProvider.System;
        _format = options.Format;
        _maxAttempts = options.MaxUpdateAttempts;
        _cacheMaxAgeTicks = options.CacheMaxAge.Ticks;
        _protector = new SessionProtector(ResolveKeys(options));
        _metrics = new SessionMetrics(storage.Kind, options.MeterFactory, options.Observer);

        // As in the seed: a cache in front of a backend that is itself in memory would only double-store.
        UsesMemoryBackend = storage.IsInMemory;
        if (!UsesMemoryBackend && options.CacheCapacity > 0 && options.CacheMaxAge > TimeSpan.Zero)
        {
            if (storage.RaisesInvalidations)
            {
                _idsByStorageKey = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
                storage.InvalidatedCallback = OnStorageInvalidated;
                storage.InvalidatedAllCallback = OnStorageInvalidatedAll;
            }

            _cache = new ConcurrentSieveCache<string, CachedSession>(options.CacheCapacity, StringComparer.Ordinal, OnCacheEvicted);
        }

        // The keyed hash of an ID costs about as much as the AES-GCM of a small session; active IDs recur, so remember it.
        _storageKeys = new ConcurrentSieveCache<string, StorageKeyEntry>(Math.Max(options.CacheCapacity, 1024), StringComparer.Ordinal);

        _updateGates = new SemaphoreSlim[UpdateStripes];
        for (int i = 0; i < _updateGates.Length; i++) _updateGates[i] = new SemaphoreSlim(1, 1);
    }

    /// <summary>The storage kind ("memory", "file", "redis", or a custom backend's <see cref="SessionStorage.Kind"/>).</summary>
    public string StorageKind => _storage.Kind;

    /// <summary>True when the backend keeps records in memory; the cache is then bypassed.</summary>
    public bool UsesMemoryBackend { get; }

    /// <summary>The storage backend (for backend-specific calls such as <see cref="SessionStorage.PurgeExpired"/>).</summary>
    public SessionStorage Storage => _storage;

    /// <summary>The meter that carries this connector's metrics.</summary>
    public System.Diagnostics.Metrics.Meter Meter => _metrics.Meter;

    /// <summary>Returns a new session ID: 32 bytes from a CSPRNG as unpadded base64url (43 characters).</summary>
    public static string GenerateId() => SessionIds.Generate();

    private SessionKeyRing ResolveKeys(SessionConnectorOptions options)
    {
        SessionKeyRing keys = DevelopmentKeys.Resolve(_storage, options, out bool owned);
        if (owned) _ownedKeys = keys;
        return keys;
    }

    private void EnsureOpen()
    {
        if (_closed) Throw.Closed();
    }

    private long NowTicks => _time.GetUtcNow().UtcTicks;

    // The last version this process issued: versions are unique within a process outright.
    private static long s_lastVersion;

    /// <summary>
    /// A record's next version (also used for cache deletion markers). It is greater than every version this process
    /// issued before, so within a process "higher" means "issued later"; greater than the one it replaces (versions of one session only grow, so the
    /// cache can tell newer from older) and at least the current time in ticks. A session created afresh (after a
    /// delete, say) also gets up to 2^32 random ticks on top, so it cannot repeat a version of its deleted predecessor
    /// that a slow writer still holds — not even in another process whose clock reads the same — and within this process
    /// no version is ever issued twice.
    /// </summary>
    private long NextVersion(long previous)
    {
        long floor = Math.Max(previous + 1, Math.Max(NowTicks, 1));
        if (previous == SessionStorage.Absent) floor += Random.Shared.NextInt64(1, 1L << 32);
        while (true)
        {
            long last = Volatile.Read(ref s_lastVersion);
            long next = Math.Max(floor, last + 1);
            // CAS loop: concurrent writers in this process must each get a distinct version.
            if (Interlocked.CompareExchange(ref s_lastVersion, next, last) == last) return next;
        }
    }

    private string StorageKeyOf(string id)
    {
        if (_storageKeys.TryGet(id, out StorageKeyEntry? known)) return known.StorageKey;
        string key = _protector.DeriveStorageKey(id);
        _storageKeys.Set(id, new StorageKeyEntry(key));
        return key;
    }

    private sealed class StorageKeyEntry(string storageKey) : SieveEntry<string>
    {
        public string StorageKey { get; } = storageKey;
    }

    private SemaphoreSlim UpdateGate(string storageKey) =>
        _updateGates[(uint)StringComparer.Ordinal.GetHashCode(storageKey) % UpdateStripes];

    private static void ValidateExpiry(TimeSpan? expiry)
    {
        if (expiry is { } e && e <= TimeSpan.Zero) Throw.BadExpiry(e);
    }

    private DateTimeOffset? ExpiryFromNow(TimeSpan? expiry) => expiry is { } e ? _time.GetUtcNow() + e : null;

    // ---- cache ------------------------------------------------------------------------------------------

    private bool TryGetCached<T>(string id, [MaybeNullWhen(false)] out T value) where T : ISessionData<T> =>
        TryGetCachedEntry(id, out _, out value);

    private void CachePut<T>(string id, string storageKey, T ownedValue, long version, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt) where T : ISessionData<T>
    {
        if (_cache is null) return;
        long now = NowTicks;
        long expires = expiresAt?.UtcTicks ?? long.MaxValue;
        if (expires <= now) return;
        var entry = new CachedSession(ownedValue, version, expires, absoluteExpiresAt?.UtcTicks ?? long.MaxValue, now + _cacheMaxAgeTicks, storageKey);
        _idsByStorageKey?.TryAdd(storageKey, id);
        _cache.Set(id, entry, CachedSession.IsNewer);
    }

    private void CacheMarkDeleted(string id, string storageKey)
    {
        if (_cache is null) return;
        // Versions this process issues only grow, so a marker issued now outranks every write that reached storage before
        // this delete: a slower Set/Update/Get cannot put pre-delete data back in the cache. Writes issued after it outrank it.
        long floor = Math.Max(Volatile.Read(ref s_lastVersion), 1);
        if (_cache.TryGet(id, out CachedSession? existing)) floor = Math.Max(floor, existing.Version);
        long version = NextVersion(floor);
        _cache.Set(id, new CachedSession(null, version, long.MaxValue, long.MaxValue, long.MaxValue, storageKey), CachedSession.IsNewer);
    }

    private void OnCacheEvicted(string id, CachedSession entry)
    {
        _metrics.CacheEviction();
        _idsByStorageKey?.TryRemove(new System.Collections.Generic.KeyValuePair<string, string>(entry.StorageKey, id));
    }

    private void OnStorageInvalidated(string storageKey)
    {
        if (_cache is not null && _idsByStorageKey!.TryRemove(storageKey, out string? id)) _cache.Remove(id);
    }

    private void OnStorageInvalidatedAll()
    {
        _cache?.Clear();
        _idsByStorageKey?.Clear();
    }

    // ---- decoding and encoding ----------------------------------------------------------------------------

    private enum OpenResult
    {
        Ok,
        Expired,
        Rejected,

        /// <summary>Sealed under a key this node does not have yet: absent here, but left in place for nodes that do.</summary>
        UnknownKey,
    }

    // Expiries are kept as ticks, not DateTimeOffset?: NativeAOT emits a field walker for struct equality, and a boxed
    // DateTimeOffset field there drags date formatting and time-zone data (~60 KB) into every binary.
    private readonly struct Opened<T>
    {
        private readonly long _expiresAtTicks;
        private readonly long _absoluteExpiresAtTicks;

        public Opened(T value, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, byte[] payload)
        {
            Value = value;
            _expiresAtTicks = expiresAt?.UtcTicks ?? 0;
            _absoluteExpiresAtTicks = absoluteExpiresAt?.UtcTicks ?? 0;
            Payload = payload;
        }

        public T Value { get; }

        public DateTimeOffset? ExpiresAt => _expiresAtTicks == 0 ? null : new DateTimeOffset(_expiresAtTicks, TimeSpan.Zero);

        public DateTimeOffset? AbsoluteExpiresAt => _absoluteExpiresAtTicks == 0 ? null : new DateTimeOffset(_absoluteExpiresAtTicks, TimeSpan.Zero);

        public byte[] Payload { get; }
    }

    /// <summary>Authenticates, decrypts and decodes a record. Never throws for bad bytes: they are "rejected".</summary>
    private OpenResult TryOpen<T>(string id, in StoredRecord record, out Opened<T> opened) where T : ISessionData<T>
    {
        opened = default;
        if (!_protector.TryUnprotect(id, record.Value, out byte[]? payload, out _))
        {
            if (_protector.IsFromUnknownKey(record.Value))
            {
                _metrics.Rejected("unknown-key");
                return OpenResult.UnknownKey;
            }

            _metrics.Rejected("authentication");
            return OpenResult.Rejected;
        }

        if (!SessionPayload.TryReadHeader(payload, out SessionFormat format, out DateTimeOffset? expiresAt, out DateTimeOffset? absolute))
        {
            _metrics.Rejected("header");
            return OpenResult.Rejected;
        }

        DateTimeOffset now = _time.GetUtcNow();
        if ((expiresAt is { } e && e <= now) || (absolute is { } a && a <= now)) return OpenResult.Expired;

        T value;
        try
        {
            value = SessionPayload.Decode<T>(payload, format);
        }
        catch (SessionFormatException)
        {
            _metrics.Rejected("format");
            return OpenResult.Rejected;
        }

        opened = new Opened<T>(value, expiresAt, absolute, payload);
        return OpenResult.Ok;
    }

    private byte[] Seal<T>(string id, T value, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt) where T : ISessionData<T>
    {
        ReadOnlySpan<byte> payload = SessionPayload.Encode(value, _format, expiresAt, absoluteExpiresAt);
        return _protector.Protect(id, payload);
    }

    // ---- storage calls with metrics ----------------------------------------------------------------------

    private StoredRecord? StorageRead(string key)
    {
        long start = Stopwatch.GetTimestamp();
        StoredRecord? record;
        try
        {
            record = _storage.Read(key);
        }
        catch (Exception e) when (ObserveFailure("read", e))
        {
            throw; // unreachable: the filter only observes
        }

        _metrics.StorageOperation("read", start);
        return record;
    }

    private async ValueTask<StoredRecord?> StorageReadAsync(string key, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        StoredRecord? record;
        try
        {
            record = await _storage.ReadAsync(key, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (ObserveFailure("read", e))
        {
            throw; // unreachable: the filter only observes
        }

        _metrics.StorageOperation("read", start);
        return record;
    }

    private bool StorageWrite(string key, byte[] envelope, DateTimeOffset? expiresAt, long expected, long version)
    {
        long start = Stopwatch.GetTimestamp();
        bool written;
        try
        {
            written = _storage.TryWrite(key, envelope, expiresAt, expected, version);
        }
        catch (Exception e) when (ObserveFailure("write", e))
        {
            throw; // unreachable: the filter only observes
        }

        _metrics.StorageOperation("write", start);
        return written;
    }

    private async ValueTask<bool> StorageWriteAsync(string key, byte[] envelope, DateTimeOffset? expiresAt, long expected, long version, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        bool written;
        try
        {
            written = await _storage.TryWriteAsync(key, envelope, expiresAt, expected, version, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (ObserveFailure("write", e))
        {
            throw; // unreachable: the filter only observes
        }

        _metrics.StorageOperation("write", start);
        return written;
    }

    private bool StorageDelete(string key)
    {
        long start = Stopwatch.GetTimestamp();
        bool deleted;
        try
        {
            deleted = _storage.Delete(key);
        }
        catch (Exception e) when (ObserveFailure("delete", e))
        {
            throw; // unreachable: the filter only observes
        }

        _metrics.StorageOperation("delete", start);
        return deleted;
    }

    private async ValueTask<bool> StorageDeleteAsync(string key, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        bool deleted;
        try
        {
            deleted = await _storage.DeleteAsync(key, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (ObserveFailure("delete", e))
        {
            throw; // unreachable: the filter only observes
        }

        _metrics.StorageOperation("delete", start);
        return deleted;
    }

    // An exception filter that returns false observes without catching: the stack stays intact and nothing is rethrown.
    private bool ObserveFailure(string operation, Exception exception)
    {
        if (exception is not OperationCanceledException) _metrics.StorageFailed(operation, exception);
        return false;
    }

    /// <summary>Closes the connector and its storage.</summary>
    public void Dispose() => Close();

    /// <summary>Closes the connector and its storage asynchronously.</summary>
    public ValueTask DisposeAsync() => CloseAsync();
}
