using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Caching;
using SessionConnector.Diagnostics;
using SessionConnector.Internal;
using SessionConnector.Protection;
using SessionConnector.Records;
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
    private readonly SessionStorage _storage;
    private readonly MeteredStorage _store;
    private readonly SessionProtector _protector;
    private readonly RecordPipeline _records;
    private readonly SessionMetrics _metrics;
    private readonly ConcurrentSieveCache<string, CachedSession>? _cache;
    private readonly ConcurrentDictionary<string, string>? _idsByStorageKey;
    private readonly long[]? _invalidations;
    // The file store's shared change table, used only with a cache (see SessionStorage.Changes): a cached entry or
    // generation is then exact across processes, as _invalidations make it on a backend that raises them.
    private readonly Storage.Files.ChangeTable? _changes;
    private readonly IdMemo<StorageKeyEntry> _storageKeys;
    // Created on first use per stripe (see GateOf).
    private readonly PaddedGate?[] _updateGates;
    private readonly TimeProvider _time;
    private readonly SessionFormat _format;
    private readonly int _maxAttempts;
    private readonly long _cacheMaxAgeTicks;
    private readonly long _failSafeTicks;
    private readonly int _maxSessionsPerPrincipal;
    private readonly SessionCapPolicy _capPolicy;
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
        if (options.StorageTimeout <= TimeSpan.Zero && options.StorageTimeout != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(options), "StorageTimeout must be positive or Timeout.InfiniteTimeSpan.");
        if (options.FailSafeMaxStaleness < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "FailSafeMaxStaleness cannot be negative.");
        if (options.MaxSessionsPerPrincipal < 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxSessionsPerPrincipal cannot be negative.");
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
        _failSafeTicks = options.FailSafeMaxStaleness.Ticks;
        _maxSessionsPerPrincipal = options.MaxSessionsPerPrincipal;
        _capPolicy = options.SessionCapPolicy;
        _metrics = new SessionMetrics(storage.Kind, options.MeterFactory, options.Observer);
        _store = new MeteredStorage(storage, _metrics, _time, options.StorageTimeout);

        // As in the seed: a cache in front of a backend that is itself in memory would only double-store, unless the
        // application asks for it (reads that must skip the decrypt, see CacheMemoryStorage).
        UsesMemoryBackend = storage.IsInMemory;
        if ((!UsesMemoryBackend || options.CacheMemoryStorage) && options.CacheCapacity > 0 && options.CacheMaxAge > TimeSpan.Zero)
        {
            if (storage.RaisesInvalidations)
            {
                _idsByStorageKey = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
                _invalidations = new long[Stripes.Count];
                storage.InvalidatedCallback = OnStorageInvalidated;
                storage.InvalidatedAllCallback = OnStorageInvalidatedAll;
                _cache = new ConcurrentSieveCache<string, CachedSession>(options.CacheCapacity, StringComparer.Ordinal, OnCacheEvicted, OnCacheLinked, OnCacheUnlinked);
            }
            else
            {
                _cache = new ConcurrentSieveCache<string, CachedSession>(options.CacheCapacity, StringComparer.Ordinal, OnCacheEvicted);
                _changes = storage.Changes;
            }
        }

        // The keyed hash of an ID costs about as much as the AES-GCM of a small session; active IDs recur, so remember it.
        _storageKeys = new IdMemo<StorageKeyEntry>(Math.Max(options.CacheCapacity, 1024));

        _updateGates = new PaddedGate?[Stripes.Count];

        // Last: resolving the keys is the one step here that may need the crypto library (a hash names the development key
        // file), so everything above overlaps with its load when PrepareCrypto started it; the naming key is derived at the
        // first storage key (SessionProtector), not here.
        _protector = new SessionProtector(ResolveKeys(options), _time);
        _records = new RecordPipeline(_protector);
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

    /// <summary>
    /// Starts loading the platform's crypto library (OpenSSL on Linux, several milliseconds) on another thread, so that
    /// its load overlaps with the app's own start-up instead of delaying the first session operation. Worth it where the
    /// app has start-up work of its own to do meanwhile (the web package calls it where services are registered, before
    /// the host is built); starting the thread costs a fraction of a millisecond, so it is not started for you. Returns at
    /// once; later calls do nothing, and so does a single-core machine.
    /// </summary>
    public static void PrepareCrypto() => CryptoWarmUp.Start();

    /// <summary>
    /// Starts a new encryption epoch (a fresh salt, subkey and nonce counter). Call it first thing after this process was
    /// restored from a memory snapshot (a serverless snapshot start, CRIU, a cloned VM): every copy restored from one
    /// snapshot would otherwise continue the same nonce counter. A wall-clock jump against the monotonic clock, which is
    /// what most restores look like from inside, starts a new epoch automatically; this call covers restores that keep
    /// both clocks in step. See docs/envelope-format.md.
    /// </summary>
    /// <exception cref="SessionStorageConnectorException">The connector is closed.</exception>
    public void StartNewEncryptionEpoch()
    {
        EnsureOpen();
        _protector.StartNewEpoch();
    }

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

    private string StorageKeyOf(string id) => StorageKeyEntryOf(id).StorageKey;

    /// <summary>The storage key of <paramref name="id"/> with its stripe, both computed once per ID and remembered.</summary>
    private StorageKeyEntry StorageKeyEntryOf(string id)
    {
        int hash = IdMemo<StorageKeyEntry>.Hash(id);
        if (_storageKeys.TryGet(id, hash, out StorageKeyEntry? known)) return known;
        var entry = new StorageKeyEntry(id, hash, _protector.DeriveStorageKey(id));
        _storageKeys.Add(entry);
        return entry;
    }

    private static void ValidateExpiry(TimeSpan? expiry)
    {
        if (expiry is { } e && e <= TimeSpan.Zero) Throw.BadExpiry(e);
    }

    /// <summary>Closes the connector and its storage.</summary>
    public void Dispose() => Close();

    /// <summary>Closes the connector and its storage asynchronously.</summary>
    public ValueTask DisposeAsync() => CloseAsync();
}
