using System;
using SessionConnector.AspNetCore.Internal;
using SessionConnector.Sealing;

namespace SessionConnector.AspNetCore;

/// <summary>Chooses sealed-cookie storage for the ASP.NET Core session (configuration: <c>SessionConnector:Storage = Cookie</c>).</summary>
public static class SealedCookieWebOptionsExtensions
{
    /// <summary>
    /// Keeps each session sealed in the cookie itself (AES-256-GCM under the application's keys, bound to the cookie name
    /// and <paramref name="purpose"/>) instead of in a store; <see cref="RequestSession{T}"/> keeps its API. The cookie
    /// attributes come from <see cref="SessionConnectorWebOptions.Cookie"/> and the lifetime and idle timeout from
    /// <see cref="SessionConnectorWebOptions.Session"/>. Keys must be configured (SessionConnector:Keys or
    /// SESSIONCONNECTOR_KEYS), in Development too.
    /// <para>With a storage also chosen (<see cref="SessionConnectorWebOptions.UseFileStorage"/>,
    /// <see cref="SessionConnectorWebOptions.UseMemoryStorage"/>, Redis), a sign-out holds (a replayed cookie is refused),
    /// a renewal retires the old cookie, and a session too large for its cookies spills there. Without one there is no
    /// storage I/O, and a copied cookie stays valid until it expires. Concurrent requests race in the browser: the last
    /// response's cookie wins (no merge). See docs/sealed.md.</para>
    /// </summary>
    /// <param name="options">The web options.</param>
    /// <param name="purpose">What the app uses the cookie for (e.g. "shop/session"); a cookie of another purpose does not open.</param>
    /// <param name="configure">Adjusts the sealer's options (size budget, chunks, format) after they are filled from the web options.</param>
    /// <returns>The options, for chaining.</returns>
    public static SessionConnectorWebOptions UseSealedCookies(this SessionConnectorWebOptions options, string purpose, Action<SessionSealerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        options.SealedCookies = new SealedCookieChoice(purpose, configure);
        return options;
    }
}
