using System;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>Copies the <c>SessionConnector</c> configuration section onto <see cref="SessionConnectorWebOptions"/>.</summary>
internal static class SettingsApplier
{
    public const string SectionName = "SessionConnector";

    public static void Apply(IConfiguration configuration, SessionConnectorWebOptions options)
    {
        // Get<T> is intercepted by the configuration-binding source generator (EnableConfigurationBindingGenerator):
        // no reflection, no trim warning.
        SessionConnectorSettings? s = configuration.GetSection(SectionName).Get<SessionConnectorSettings>();
        if (s is null) return;

        if (!string.IsNullOrWhiteSpace(s.Keys))
        {
            // A malformed key list fails start-up with the parser's message: never fall back to a weaker key.
            options.Connector.Keys = SessionKeyRing.Parse(s.Keys);
            options.KeysFromConfiguration = options.Connector.Keys;
        }

        switch (s.Storage?.Trim().ToLowerInvariant())
        {
            case null or "" or "file":
                // Without a directory the default stands: file storage in .sessions under the content root.
                if (!string.IsNullOrWhiteSpace(s.Directory)) options.UseFileStorage(s.Directory);
                break;
            case "memory":
                options.UseMemoryStorage();
                break;
            case "cookie":
                options.UseSealedCookies(s.Purpose ?? throw new InvalidOperationException("SessionConnector:Storage is 'Cookie'; set SessionConnector:Purpose (what the app uses the cookie for) too."));
                break;
            default:
                throw new InvalidOperationException($"SessionConnector:Storage is '{s.Storage}'; expected 'File', 'Memory' or 'Cookie' (any case). For Redis or a custom backend set SessionConnectorWebOptions.Storage in code, e.g. o.Storage = sp => RedisSessionStorage.Connect(...).");
        }

        if (s.Lifetime is { } lifetime) options.Session.Lifetime = lifetime;
        if (s.IdleTimeout is { } idle) options.Session.IdleTimeout = idle;
        if (s.ConflictPolicy is { } conflictPolicy) options.Session.ConflictPolicy = conflictPolicy;

        if (s.Cookie is { } c)
        {
            if (c.Name is not null) options.Cookie.Name = c.Name;
            if (c.Domain is not null) options.Cookie.Domain = c.Domain.Length == 0 ? null : c.Domain;
            if (c.Path is not null) options.Cookie.Path = c.Path;
            if (c.SecurePolicy is { } policy) options.Cookie.SecurePolicy = policy;
            else if (c.Secure is { } secure) options.Cookie.SecurePolicy = secure ? CookieSecurePolicy.Always : CookieSecurePolicy.None;
            if (c.SameSite is { } sameSite) options.Cookie.SameSite = sameSite;
            if (c.Persistent is { } persistent) options.Cookie.Persistent = persistent;
            if (c.UseHostPrefix is { } prefix) options.Cookie.UseHostPrefix = prefix;
        }
    }
}
