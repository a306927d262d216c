using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Storage;

namespace SessionConnector;

/// <summary>
/// The process-wide session connector, reachable from anywhere without dependency injection:
/// <c>Sessions.Configure(...)</c> once at start-up, then <c>Sessions.Get&lt;T&gt;(id)</c> and friends.
/// Every call forwards to one <see cref="SessionStorageConnector"/>.
/// </summary>
public static class Sessions
{
    /// <summary>The folder <see cref="ConfigureDefault"/> uses.</summary>
    public const string DefaultDirectory = ".sessions";

    private static readonly object s_configureLock = new();
    private static SessionStorageConnector? s_connector;
    // What the connector was configured with, to compare later calls against; guarded by s_configureLock.
    private static Configuration? s_configuration;

    /// <summary>True once <see cref="Configure"/> has run (and <see cref="Close"/> has not).</summary>
    public static bool IsConfigured => Volatile.Read(ref s_connector) is not null;

    /// <summary>The configured connector.</summary>
    /// <exception cref="SessionStorageConnectorException">Not configured yet.</exception>
    public static SessionStorageConnector Connector
    {
        get
        {
            // Volatile: a connector published by Configure on another thread must be seen fully constructed.
            SessionStorageConnector? connector = Volatile.Read(ref s_connector);
            if (connector is null) Throw.NotConfigured();
            return connector;
        }
    }

    /// <summary>
    /// Configures the connector once. Configuring again with the same arguments (a storage of the same kind and
    /// <see cref="SessionStorage.Location"/>, the same keys and options) is a no-op: the new storage is not used and stays
    /// the caller's. Configuring again with anything else throws and names what differs, so two parts of an app cannot
    /// silently disagree about where sessions live or how they are encrypted.
    /// </summary>
    /// <returns>The connector in use.</returns>
    /// <exception cref="SessionStorageConnectorException">
    /// Already configured differently; or no key is configured (see <see cref="SessionConnectorOptions.Keys"/>).
    /// </exception>
    public static SessionStorageConnector Configure(SessionStorage storage, SessionConnectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        lock (s_configureLock)
        {
            var wanted = Configuration.Of(storage.Kind, storage.Location, options);
            if (s_connector is { } existing) return SameOrThrow(existing, wanted);
            return Publish(new SessionStorageConnector(storage, options), wanted);
        }
    }

    /// <summary>
    /// The embedded default, for local development and samples: file storage in <paramref name="directory"/> with a
    /// development key (see <see cref="SessionConnectorOptions.UseDevelopmentKey"/>: kept per user outside the store, with
    /// a warning). Keys configured in <c>SESSIONCONNECTOR_KEYS</c> take precedence. For production call
    /// <see cref="Configure"/> with configured keys instead.
    /// </summary>
    /// <exception cref="SessionStorageConnectorException">Already configured differently.</exception>
    public static SessionStorageConnector ConfigureDefault(string directory = DefaultDirectory, Action<string>? warn = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        lock (s_configureLock)
        {
            var options = new SessionConnectorOptions { UseDevelopmentKey = true, Warn = warn };
            var wanted = Configuration.Of("file", Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)), options);
            if (s_connector is { } existing) return SameOrThrow(existing, wanted);
            var storage = new FileSessionStorage(directory);
            try
            {
                return Publish(new SessionStorageConnector(storage, options), wanted);
            }
            catch
            {
                storage.Dispose(); // ours: the caller never saw it
                throw;
            }
        }
    }

    private static SessionStorageConnector Publish(SessionStorageConnector connector, Configuration configuration)
    {
        s_configuration = configuration;
        // Volatile: readers on other threads must see the connector fully constructed.
        Volatile.Write(ref s_connector, connector);
        return connector;
    }

    private static SessionStorageConnector SameOrThrow(SessionStorageConnector existing, Configuration wanted)
    {
        string? differences = s_configuration!.Differences(wanted);
        if (differences is null) return existing;
        throw new SessionStorageConnectorException(
            $"SessionConnector is already configured differently: {differences}. Configure it once at start-up, or call Sessions.Close() first to switch.");
    }

    /// <summary>Returns a new session ID: 32 CSPRNG bytes as unpadded base64url.</summary>
    public static string GenerateId() => SessionIds.Generate();

    /// <summary>True when the storage is in memory and the cache is bypassed.</summary>
    public static bool UsesMemoryBackend => Connector.UsesMemoryBackend;

    /// <inheritdoc cref="SessionStorageConnector.Get{T}"/>
    public static T? Get<T>(string id) where T : class, ISessionData<T> => Connector.Get<T>(id);

    /// <inheritdoc cref="SessionStorageConnector.TryGet{T}"/>
    public static bool TryGet<T>(string id, [MaybeNullWhen(false)] out T value) where T : ISessionData<T> => Connector.TryGet(id, out value);

    /// <inheritdoc cref="SessionStorageConnector.GetAsync{T}"/>
    public static ValueTask<T?> GetAsync<T>(string id, CancellationToken cancellationToken = default) where T : class, ISessionData<T> =>
        Connector.GetAsync<T>(id, cancellationToken);

    /// <inheritdoc cref="SessionStorageConnector.TryGetAsync{T}"/>
    public static ValueTask<(bool Found, T? Value)> TryGetAsync<T>(string id, CancellationToken cancellationToken = default) where T : ISessionData<T> =>
        Connector.TryGetAsync<T>(id, cancellationToken);

    /// <inheritdoc cref="SessionStorageConnector.TryRead{TView}"/>
    public static bool TryRead<TView>(string id, out TView view) where TView : struct, Reading.ISessionDataView<TView> => Connector.TryRead(id, out view);

    /// <inheritdoc cref="SessionStorageConnector.TryReadAsync{TView}"/>
    public static ValueTask<(bool Found, TView View)> TryReadAsync<TView>(string id, CancellationToken cancellationToken = default)
        where TView : struct, Reading.ISessionDataView<TView> =>
        Connector.TryReadAsync<TView>(id, cancellationToken);

    /// <inheritdoc cref="SessionStorageConnector.Set{T}"/>
    public static bool Set<T>(string id, T data, TimeSpan? expiry = null) where T : ISessionData<T> => Connector.Set(id, data, expiry);

    /// <inheritdoc cref="SessionStorageConnector.SetAsync{T}"/>
    public static ValueTask<bool> SetAsync<T>(string id, T data, TimeSpan? expiry = null, CancellationToken cancellationToken = default) where T : ISessionData<T> =>
        Connector.SetAsync(id, data, expiry, cancellationToken);

    /// <inheritdoc cref="SessionStorageConnector.Update{T}(string, Action{T})"/>
    public static bool Update<T>(string id, Action<T> change) where T : class, ISessionData<T> => Connector.Update(id, change);

    /// <inheritdoc cref="SessionStorageConnector.Update{T}(string, Func{T, T})"/>
    public static bool Update<T>(string id, Func<T, T> change) where T : ISessionData<T> => Connector.Update(id, change);

    /// <inheritdoc cref="SessionStorageConnector.Update(string, SessionBag)"/>
    public static bool Update(string id, SessionBag changes) => Connector.Update(id, changes);

    /// <inheritdoc cref="SessionStorageConnector.UpdateAsync{T}(string, Action{T}, CancellationToken)"/>
    public static ValueTask<bool> UpdateAsync<T>(string id, Action<T> change, CancellationToken cancellationToken = default) where T : class, ISessionData<T> =>
        Connector.UpdateAsync(id, change, cancellationToken);

    /// <inheritdoc cref="SessionStorageConnector.UpdateAsync{T}(string, Func{T, T}, CancellationToken)"/>
    public static ValueTask<bool> UpdateAsync<T>(string id, Func<T, T> change, CancellationToken cancellationToken = default) where T : ISessionData<T> =>
        Connector.UpdateAsync(id, change, cancellationToken);

    /// <inheritdoc cref="SessionStorageConnector.UpdateAsync(string, SessionBag, CancellationToken)"/>
    public static ValueTask<bool> UpdateAsync(string id, SessionBag changes, CancellationToken cancellationToken = default) =>
        Connector.UpdateAsync(id, changes, cancellationToken);

    /// <inheritdoc cref="SessionStorageConnector.Delete"/>
    public static bool Delete(string id) => Connector.Delete(id);

    /// <inheritdoc cref="SessionStorageConnector.DeleteAsync"/>
    public static ValueTask<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) => Connector.DeleteAsync(id, cancellationToken);

    /// <inheritdoc cref="SessionStorageConnector.Clear"/>
    public static void Clear() => Connector.Clear();

    /// <inheritdoc cref="SessionStorageConnector.ClearAsync"/>
    public static ValueTask ClearAsync(CancellationToken cancellationToken = default) => Connector.ClearAsync(cancellationToken);

    /// <inheritdoc cref="SessionStorageConnector.Save"/>
    public static void Save() => Connector.Save();

    /// <inheritdoc cref="SessionStorageConnector.SaveAsync"/>
    public static ValueTask SaveAsync(CancellationToken cancellationToken = default) => Connector.SaveAsync(cancellationToken);

    /// <inheritdoc cref="SessionStorageConnector.PurgeExpired"/>
    public static int PurgeExpired() => Connector.PurgeExpired();

    /// <summary>Closes the connector and its storage; <see cref="Configure"/> may then be called again.</summary>
    public static void Close()
    {
        SessionStorageConnector? connector;
        lock (s_configureLock)
        {
            connector = s_connector;
            s_configuration = null;
            Volatile.Write(ref s_connector, null);
        }

        connector?.Close();
    }

    /// <summary>Async twin of <see cref="Close"/>.</summary>
    public static ValueTask CloseAsync()
    {
        SessionStorageConnector? connector;
        lock (s_configureLock)
        {
            connector = s_connector;
            s_configuration = null;
            Volatile.Write(ref s_connector, null);
        }

        return connector?.CloseAsync() ?? default;
    }

    /// <summary>The arguments of the call that configured the connector: what a later call must match to be a no-op.</summary>
    /// <remarks>A class, not a record: a record's generated ToString would link enum and TimeSpan formatting into every app.</remarks>
    private sealed class Configuration(
        string kind, string? location, SessionKeyRing? keys, bool useDevelopmentKey, SessionFormat format,
        int cacheCapacity, TimeSpan cacheMaxAge, bool cacheMemoryStorage, int maxUpdateAttempts, TimeProvider timeProvider)
    {
        public string Kind { get; } = kind;

        public string? Location { get; } = location;

        public SessionKeyRing? Keys { get; } = keys;

        public bool UseDevelopmentKey { get; } = useDevelopmentKey;

        public SessionFormat Format { get; } = format;

        public int CacheCapacity { get; } = cacheCapacity;

        public TimeSpan CacheMaxAge { get; } = cacheMaxAge;

        public bool CacheMemoryStorage { get; } = cacheMemoryStorage;

        public int MaxUpdateAttempts { get; } = maxUpdateAttempts;

        public TimeProvider TimeProvider { get; } = timeProvider;

        public static Configuration Of(string kind, string? location, SessionConnectorOptions? options)
        {
            options ??= new SessionConnectorOptions();
            return new Configuration(kind, location, options.Keys, options.UseDevelopmentKey, options.Format,
                options.CacheCapacity, options.CacheMaxAge, options.CacheMemoryStorage, options.MaxUpdateAttempts, options.TimeProvider ?? TimeProvider.System);
        }

        /// <summary>What differs in <paramref name="now"/>, for the error message (never key material); null when nothing does.</summary>
        public string? Differences(Configuration now)
        {
            var differences = new System.Collections.Generic.List<string>();
            if (!string.Equals(Kind, now.Kind, StringComparison.Ordinal))
            {
                differences.Add($"storage kind ('{Kind}' configured, '{now.Kind}' now)");
            }
            else if (!string.Equals(Location, now.Location, StringComparison.Ordinal))
            {
                differences.Add($"storage location ('{Location}' configured, '{now.Location}' now)");
            }

            if (!ReferenceEquals(Keys, now.Keys) && !(Keys is not null && now.Keys is not null && Keys.HasSameKeysAs(now.Keys)))
            {
                differences.Add(Keys is not null && now.Keys is not null
                    ? "keys (the two key rings hold different keys)"
                    : $"keys ({KeySource(Keys)} configured, {KeySource(now.Keys)} now)");
            }

            if (UseDevelopmentKey != now.UseDevelopmentKey) differences.Add($"UseDevelopmentKey ({UseDevelopmentKey} configured, {now.UseDevelopmentKey} now)");
            if (Format != now.Format) differences.Add($"Format ({Name(Format)} configured, {Name(now.Format)} now)");
            if (CacheCapacity != now.CacheCapacity) differences.Add($"CacheCapacity ({CacheCapacity} configured, {now.CacheCapacity} now)");
            if (CacheMaxAge != now.CacheMaxAge) differences.Add($"CacheMaxAge ({CacheMaxAge.TotalSeconds} s configured, {now.CacheMaxAge.TotalSeconds} s now)");
            if (CacheMemoryStorage != now.CacheMemoryStorage) differences.Add($"CacheMemoryStorage ({CacheMemoryStorage} configured, {now.CacheMemoryStorage} now)");
            if (MaxUpdateAttempts != now.MaxUpdateAttempts) differences.Add($"MaxUpdateAttempts ({MaxUpdateAttempts} configured, {now.MaxUpdateAttempts} now)");
            if (!ReferenceEquals(TimeProvider, now.TimeProvider)) differences.Add("TimeProvider (another instance)");
            return differences.Count == 0 ? null : string.Join("; ", differences);
        }

        private static string Name(SessionFormat format) => format == SessionFormat.Json ? "Json" : "MessagePack";

        private static string KeySource(SessionKeyRing? ring) =>
            ring is null ? "no Keys in options: environment or development key" : "a key ring in options";
    }
}
