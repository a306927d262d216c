using System;
using System.Diagnostics.Metrics;
using SessionConnector.Diagnostics;

namespace SessionConnector;

/// <summary>Options for a <see cref="SessionStorageConnector"/>.</summary>
public sealed class SessionConnectorOptions
{
    /// <summary>
    /// The keys that encrypt sessions. When null, the key list in the <c>SESSIONCONNECTOR_KEYS</c> environment variable is
    /// used; when that is unset too, the connector refuses to start (<see cref="SessionStorageConnectorException"/>)
    /// unless <see cref="UseDevelopmentKey"/> is set.
    /// </summary>
    public SessionKeyRing? Keys { get; set; }

    /// <summary>
    /// For local development only: when no key is configured (neither <see cref="Keys"/> nor <c>SESSIONCONNECTOR_KEYS</c>),
    /// use a development key instead of refusing to start, and warn. For a file store the key is kept per user, outside
    /// the store (<c>$XDG_DATA_HOME/SessionConnector/dev-keys/</c>, by default <c>~/.local/share/…</c>, one 0600 file per
    /// store path), so development sessions survive restarts but a copy of the store does not carry its key; for other
    /// stores it is a random in-memory key. Default false: production never runs on a development key by accident.
    /// </summary>
    public bool UseDevelopmentKey { get; set; }

    /// <summary>Where development keys are kept; null: the per-user data directory. Tests point it at a scratch folder.</summary>
    internal string? DevelopmentKeyDirectory { get; set; }

    /// <summary>Where warnings go (e.g. the development-key warning). Defaults to standard error.</summary>
    public Action<string>? Warn { get; set; }

    /// <summary>The serialization format of new writes. Reads accept either format, so switching is safe.</summary>
    public SessionFormat Format { get; set; } = SessionFormat.MessagePack;

    /// <summary>The most sessions the cache in front of storage holds (default 4096). 0 disables the cache.</summary>
    public int CacheCapacity { get; set; } = 4096;

    /// <summary>
    /// The longest a cached session is served without going back to storage (default 10 s): the backstop
    /// against changes made by other processes that were not announced (a file store shared by several
    /// processes, a missed Redis invalidation). <see cref="TimeSpan.Zero"/> disables the cache.
    /// </summary>
    public TimeSpan CacheMaxAge { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Also keep the cache in front of <c>MemorySessionStorage</c> (default false: as in the seed, that store is read
    /// directly, since it already answers in microseconds and a cache would hold a second copy of every session).
    /// Turn it on where reads dominate, such as a game server reading sessions every tick: hits then skip the decrypt and
    /// decode, and <c>TryRead</c> reads the cached snapshot with no copy. The cost: memory for the decoded copies, and
    /// every Set and Update clones its value into the cache. A session the memory store evicts to stay within its
    /// capacity can still be served from the cache for up to <see cref="CacheMaxAge"/>.
    /// </summary>
    public bool CacheMemoryStorage { get; set; }

    /// <summary>
    /// The longest one async storage call (read, write, delete) may take before it fails with a
    /// <see cref="Storage.SessionStorageException"/> whose <c>IsTimeout</c> is true (the web package answers 503). Default
    /// 10 s: far above a healthy backend (a Redis round trip, a file write with fsync under load), and below the 60 s at
    /// which common proxies (nginx, cloud load balancers) give up, so the client gets the app's 503 instead of a
    /// gateway timeout while requests pile up behind a stalled store. The backend gets a token that fires at the
    /// deadline, so one that honours tokens stops; one that does not is left behind and the caller is answered anyway.
    /// Sync calls cannot be abandoned: they rely on the backend's own timeout (Redis: OperationTimeout).
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> disables the bound.
    /// </summary>
    public TimeSpan StorageTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Fail-safe reads (default <see cref="TimeSpan.Zero"/>: off). When positive, a read whose storage call fails is
    /// answered from the cached copy if that copy was last confirmed by storage at most this long ago, is not past its
    /// sealed expiry, and no deletion or invalidation of it is known to this connector; the read is logged
    /// (<see cref="Diagnostics.SessionConnectorObserver.StaleSessionServed"/>) and counted
    /// (<c>sessionconnector.cache.stale_served</c>). Writes still fail. Needs the cache (see <see cref="CacheMaxAge"/>);
    /// values below <see cref="CacheMaxAge"/> add nothing. See docs/reliability.md for what a node misses while partitioned.
    /// </summary>
    public TimeSpan FailSafeMaxStaleness { get; set; }

    /// <summary>
    /// The most sessions one principal may hold at once (see docs/principals.md); 0, the default, is no limit. Enforced
    /// atomically when a session is bound, by compare-and-set on the principal's index record.
    /// </summary>
    public int MaxSessionsPerPrincipal { get; set; }

    /// <summary>What binding does at <see cref="MaxSessionsPerPrincipal"/>: refuse the new session (default) or end the oldest.</summary>
    public SessionCapPolicy SessionCapPolicy { get; set; }

    /// <summary>How many compare-and-set attempts an update makes before it throws <see cref="SessionConflictException"/> (default 100).</summary>
    public int MaxUpdateAttempts { get; set; } = 100;

    /// <summary>Receives development-key, rejected-record and storage-failure events (for logging). Null: none.</summary>
    public SessionConnectorObserver? Observer { get; set; }

    /// <summary>
    /// Creates the connector's <see cref="Meter"/> (dependency injection passes the host's factory, which then owns the
    /// meter). Null: the connector creates and disposes its own.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>The clock for expiry; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
