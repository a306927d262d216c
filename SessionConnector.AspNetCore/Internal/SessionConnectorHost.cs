using System;
using System.Diagnostics.Metrics;
using System.IO;
using System.Threading;
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
    private const int CommitStripes = 256;

    private readonly SessionKeyRing? _ownedKeys;
    private readonly SessionKeyRing? _ownedSealKeys;
    private readonly SemaphoreSlim[] _commitGates = CreateGates();

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
            ?? (options.SealedCookies is not null ? _ => SealedCookieSetup.Placeholder(c.TimeProvider) : (Func<IServiceProvider, SessionStorage>?)null)
            ?? (_ => new FileSessionStorage(Path.Combine(environment.ContentRootPath, Sessions.DefaultDirectory), FileDurability.PowerLoss, c.TimeProvider));
        SessionStorage storage = createStorage(services);
        try
        {
            Connector = new SessionStorageConnector(storage, c);
            if (options.SealedCookies is { } sealedChoice)
            {
                // A store the app chose makes sign-outs hold and takes large sessions; without one, no storage I/O at all.
                Sealer = SealedCookieSetup.Create(options, sealedChoice, options.Storage is null ? null : Connector, Logger, c.MeterFactory, out _ownedSealKeys);
            }
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

    /// <summary>Set when the app chose sealed-cookie sessions (UseSealedCookies or Storage: Cookie).</summary>
    public Sealing.SessionSealer? Sealer { get; }

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

    /// <summary>The gate commits of session <paramref name="id"/> queue on (striped: a collision only queues two sessions together).</summary>
    public SemaphoreSlim CommitGate(string id) => _commitGates[(uint)StringComparer.Ordinal.GetHashCode(id) % CommitStripes];

    private static SemaphoreSlim[] CreateGates()
    {
        var gates = new SemaphoreSlim[CommitStripes];
        for (int i = 0; i < gates.Length; i++) gates[i] = new SemaphoreSlim(1, 1);
        return gates;
    }

    public void Dispose()
    {
        Sealer?.Dispose();
        _ownedSealKeys?.Dispose();
        _ownedKeys?.Dispose();
        foreach (SemaphoreSlim gate in _commitGates) gate.Dispose();
    }
}
