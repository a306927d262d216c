using System;
using System.Diagnostics.Metrics;
using System.IO;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionConnector.Storage;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>
/// The DI singleton behind the package: builds the connector from the options and the host (environment, logging,
/// metrics) once, and holds what every request needs (cookie settings, session rules, logger).
/// </summary>
internal sealed class SessionConnectorHost : IDisposable
{
    private readonly SessionKeyRing? _ownedKeys;

    public SessionConnectorHost(IServiceProvider services)
    {
        SessionConnectorWebOptions options = services.GetRequiredService<IOptions<SessionConnectorWebOptions>>().Value;
        IHostEnvironment environment = services.GetRequiredService<IHostEnvironment>();
        Logger = (services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger(Log.Category);

        options.Cookie.Validate();
        Cookie = options.Cookie;
        CookieName = options.Cookie.EffectiveName;
        Session = options.Session;
        _ownedKeys = options.KeysFromConfiguration;

        SessionConnectorOptions c = options.Connector;
        c.Observer ??= new LoggingSessionObserver(Logger);
        c.MeterFactory ??= services.GetService<IMeterFactory>();
        c.Warn ??= static _ => { }; // the observer logs the development-key warning with its event id
        ApplyKeyPolicy(c, environment);
        Time = c.TimeProvider ?? TimeProvider.System;

        Func<IServiceProvider, SessionStorage> createStorage = options.Storage
            ?? (_ => new FileSessionStorage(Path.Combine(environment.ContentRootPath, Sessions.DefaultDirectory), FileDurability.PowerLoss, c.TimeProvider));
        SessionStorage storage = createStorage(services);
        try
        {
            Connector = new SessionStorageConnector(storage, c);
        }
        catch (SessionStorageConnectorException e) when (c.Keys is null && !c.UseDevelopmentKey)
        {
            storage.Dispose();
            Log.NoKeyConfigured(Logger, e);
            throw;
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    public SessionStorageConnector Connector { get; }

    public SessionCookieOptions Cookie { get; }

    public string CookieName { get; }

    public SessionStoreOptions Session { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    /// <summary>
    /// Keys come from options, configuration (SessionConnector:Keys) or SESSIONCONNECTOR_KEYS. Without one, only the
    /// Development environment may run, on a development key (kept per user outside the store, so sessions survive
    /// restarts); every other environment (Production, Staging, ...) fails start-up, even if code asked for a
    /// development key.
    /// </summary>
    private static void ApplyKeyPolicy(SessionConnectorOptions c, IHostEnvironment environment) =>
        c.UseDevelopmentKey = environment.IsDevelopment();

    public void Dispose() => _ownedKeys?.Dispose();
}
