using System;
using System.Diagnostics.Metrics;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
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
    // Drawn at the first LogId, not at construction: the host is built (UseSessionConnector) while the crypto library is
    // still loading on the warm-up thread, and a random draw here made start-up wait for that load.
    private byte[]? _logKey;
    private readonly SessionKeyRing? _ownedSealKeys;

    public SessionConnectorHost(IServiceProvider services)
    {
        SessionConnectorWebOptions options = services.GetRequiredService<IOptions<SessionConnectorWebOptions>>().Value;
        IHostEnvironment environment = services.GetRequiredService<IHostEnvironment>();
        Logger = (services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger(Log.Category);

        IsDevelopment = environment.IsDevelopment();
        (SecurePolicy, CookieName) = options.Cookie.Resolve(IsDevelopment);
        Cookie = options.Cookie;
        HeaderTransport = options.HeaderTransport;
        ResumeTokenLifetime = options.ResumeTokenLifetime > TimeSpan.Zero ? options.ResumeTokenLifetime
            : throw new InvalidOperationException("SessionConnector: ResumeTokenLifetime must be positive.");
        Session = options.Session;
        // Without an idle timeout there is no sliding expiry to keep alive: the option would only cost reads.
        KeepAlive = options.Session.IdleTimeout is null ? null : options.KeepAlive;
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
        // Sealed cookies without a configured store run on a placeholder: stored sessions (header routes, resume
        // tokens, sockets) would silently lose records there, so they are refused instead.
        HasStore = options.Storage is not null || options.SealedCookies is null;
        if (!HasStore && HeaderTransport is not null)
        {
            throw new InvalidOperationException("SessionConnector: the header transport keeps sessions in a store, and this app uses sealed cookies without one. Configure Storage (file, memory, Redis) as well.");
        }

        SessionStorage storage = createStorage(services);
        try
        {
            Connector = new SessionStorageConnector(storage, c);
            if (options.SealedCookies is { } sealedChoice)
            {
                // A store the app chose makes sign-outs hold and takes large sessions; without one, no storage I/O at all.
                Sealer = SealedCookieSetup.Create(options, sealedChoice, CookieName, SecurePolicy, options.Storage is null ? null : Connector, Logger, c.MeterFactory, out _ownedSealKeys);
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

    /// <summary>The app-wide header transport (<see cref="SessionConnectorWebOptions.UseHeaderTransport"/>); null: the cookie, unless an endpoint says otherwise.</summary>
    public SessionTokenHeader? HeaderTransport { get; }

    /// <summary>False when the app runs on sealed cookies without a configured store (the connector then has only a placeholder).</summary>
    public bool HasStore { get; }

    /// <summary>How long an unredeemed resume token stays valid.</summary>
    public TimeSpan ResumeTokenLifetime { get; }

    /// <summary>The cookie's Secure policy with the environment's default applied.</summary>
    public CookieSecurePolicy SecurePolicy { get; }

    public bool IsDevelopment { get; }

    /// <summary>Set by <see cref="SessionConnectorWebOptions.RefreshOnEveryRequest{T}"/>: opens and refreshes a session the request did not touch.</summary>
    public Func<SessionRequestFeature, Task>? KeepAlive { get; }

    /// <summary>Set once the Secure-cookie-over-HTTP warning was logged (once per process is enough to be seen).</summary>
    public int SecureOverHttpWarned;

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

    /// <summary>
    /// A short keyed hash of a session ID for logs: lines about one session correlate, and a log reader learns nothing
    /// that opens it. The key is random per process and never leaves it.
    /// </summary>
    public string LogId(string id)
    {
        Span<byte> hash = stackalloc byte[32];
        Span<byte> utf8 = stackalloc byte[SessionIds.MaxLength];
        int length = System.Text.Encoding.ASCII.GetBytes(id, utf8);
        // EnsureInitialized publishes one key even if two first calls race (the loser's draw is dropped).
        byte[] key = LazyInitializer.EnsureInitialized(ref _logKey, static () => RandomNumberGenerator.GetBytes(32));
        HMACSHA256.HashData(key, utf8[..length], hash);
        return Convert.ToHexString(hash[..6]);
    }

    public void Dispose()
    {
        Sealer?.Dispose();
        _ownedSealKeys?.Dispose();
        _ownedKeys?.Dispose();
    }
}
