using System;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SessionConnector.Sealing;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>Builds the host's <see cref="SessionSealer"/> from the web options, once, at start-up.</summary>
internal static class SealedCookieSetup
{
    /// <summary>Storage that sealed mode creates when the app chose none: never read or written (one record at most).</summary>
    public static SessionConnector.Storage.SessionStorage Placeholder(TimeProvider? clock) => new SessionConnector.Storage.MemorySessionStorage(1, clock);

    public static SessionSealer Create(SessionConnectorWebOptions options, SealedCookieChoice choice, string cookieName, CookieSecurePolicy securePolicy, SessionStorageConnector? store, ILogger logger, IMeterFactory? meters, out SessionKeyRing? ownedKeys)
    {
        ownedKeys = null;
        SessionKeyRing? keys = options.Connector.Keys;
        if (keys is null)
        {
            keys = ownedKeys = SessionKeyRing.FromEnvironment();
            if (keys is null)
            {
                throw new InvalidOperationException("Sealed-cookie sessions need a key: set SessionConnector:Keys or SESSIONCONNECTOR_KEYS (a development key is never used for cookies a browser keeps).");
            }
        }

        SessionCookieOptions cookie = options.Cookie;
        var sealer = new SessionSealerOptions
        {
            Keys = keys,
            Purpose = choice.Purpose,
            CookieName = cookieName, // the host's resolved name: __Host- prefixed whenever that is valid
            Path = cookie.Path,
            Domain = cookie.Domain,
            // SameAsRequest seals with Secure (so the size budget counts it) and the request backend drops the attribute on
            // a plain-http response, as the stored-session cookie does.
            Secure = securePolicy != CookieSecurePolicy.None,
            SameSite = cookie.SameSite switch
            {
                SameSiteMode.Strict => "Strict",
                SameSiteMode.None => "None",
                _ => "Lax",
            },
            Persistent = cookie.Persistent,
            Lifetime = options.Session.Lifetime,
            IdleTimeout = options.Session.IdleTimeout,
            Store = store,
            Format = options.Connector.Format,
            TimeProvider = options.Connector.TimeProvider,
            MeterFactory = meters,
            Observer = new LoggingSealedObserver(logger),
        };
        choice.Configure?.Invoke(sealer);
        try
        {
            return new SessionSealer(sealer);
        }
        catch
        {
            ownedKeys?.Dispose();
            throw;
        }
    }
}
