using System;
using System.Diagnostics.Metrics;
using SessionConnector.Diagnostics;

namespace SessionConnector;

/// <summary>How session data is serialized before it is encrypted.</summary>
public enum SessionFormat : byte
{
    /// <summary>MessagePack: compact and fast (the default).</summary>
    MessagePack = 1,

    /// <summary>Plain JSON: readable after decryption, larger and slower.</summary>
    Json = 2,
}

/// <summary>Options for a <see cref="SessionStorageConnector"/>.</summary>
public sealed class SessionConnectorOptions
{
    /// <summary>
    /// The keys that encrypt sessions. When null, a development key is used (see <see cref="DevelopmentKeyFile"/>)
    /// and a warning is written, unless <see cref="RequireConfiguredKey"/> is set.
    /// </summary>
    public SessionKeyRing? Keys { get; set; }

    /// <summary>Production switch: refuse to start (throw) when <see cref="Keys"/> is not configured.</summary>
    public bool RequireConfiguredKey { get; set; }

    /// <summary>
    /// Where a development key is kept when <see cref="Keys"/> is null, so development sessions survive restarts.
    /// Null: a random in-memory key (sessions die with the process).
    /// </summary>
    public string? DevelopmentKeyFile { get; set; }

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
