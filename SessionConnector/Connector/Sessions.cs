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
    /// Configures the connector once. Configuring again with a storage of the same <see cref="SessionStorage.Kind"/> is a
    /// no-op (the new storage is not used and stays the caller's); with another kind it throws, so two parts of an app
    /// cannot silently disagree about where sessions live.
    /// </summary>
    /// <returns>The connector in use.</returns>
    /// <exception cref="SessionStorageConnectorException">Already configured with a different storage kind.</exception>
    public static SessionStorageConnector Configure(SessionStorage storage, SessionConnectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        lock (s_configureLock)
        {
            SessionStorageConnector? existing = s_connector;
            if (existing is not null)
            {
                if (string.Equals(existing.StorageKind, storage.Kind, StringComparison.Ordinal)) return existing;
                throw new SessionStorageConnectorException(
                    $"SessionConnector is already configured with '{existing.StorageKind}' storage; it cannot be reconfigured with '{storage.Kind}' storage. Call Sessions.Close() first to switch.");
            }

            var connector = new SessionStorageConnector(storage, options);
            Volatile.Write(ref s_connector, connector);
            return connector;
        }
    }

    /// <summary>
    /// The embedded default: file storage in <paramref name="directory"/> with a development key kept in
    /// <c>directory/.devkey</c> (a warning is printed). For production pass a configured key ring to <see cref="Configure"/>.
    /// </summary>
    public static SessionStorageConnector ConfigureDefault(string directory = DefaultDirectory, Action<string>? warn = null)
    {
        lock (s_configureLock)
        {
            if (s_connector is { } existing && existing.StorageKind == "file") return existing;
            return Configure(new FileSessionStorage(directory), new SessionConnectorOptions
            {
                DevelopmentKeyFile = Path.Combine(directory, ".devkey"),
                Warn = warn,
            });
        }
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
            Volatile.Write(ref s_connector, null);
        }

        return connector?.CloseAsync() ?? default;
    }
}
