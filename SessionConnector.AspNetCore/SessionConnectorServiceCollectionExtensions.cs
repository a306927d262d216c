using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SessionConnector.AspNetCore.Internal;

namespace SessionConnector.AspNetCore;

/// <summary>Registers SessionConnector in an ASP.NET Core app.</summary>
public static class SessionConnectorServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="SessionStorageConnector"/> singleton (logging through <c>ILogger</c>, metrics through
    /// <c>IMeterFactory</c>) and the per-request session. Keys come from <see cref="SessionConnectorOptions.Keys"/> or
    /// SESSIONCONNECTOR_KEYS; outside the Development environment a missing key fails start-up.
    /// </summary>
    public static IServiceCollection AddSessionConnector(this IServiceCollection services, Action<SessionConnectorWebOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SessionConnectorWebOptions>();
        if (configure is not null) services.Configure(configure);
        // Factories, not type registrations: the container needs no constructor reflection.
        services.TryAddSingleton(static sp => new SessionConnectorHost(sp));
        services.TryAddSingleton(static sp => sp.GetRequiredService<SessionConnectorHost>().Connector);
        // The connector is built at UseSessionConnector; its crypto library can load meanwhile, off the start-up path.
        SessionStorageConnector.PrepareCrypto();
        return services;
    }

    /// <summary>
    /// As <see cref="AddSessionConnector(IServiceCollection, Action{SessionConnectorWebOptions})"/>, with settings from
    /// the configuration section <c>SessionConnector</c> (Keys, Storage, Directory, Lifetime, IdleTimeout,
    /// ConflictPolicy, Cookie:{Name, Domain, Path, Secure, SameSite, Persistent, UseHostPrefix}), bound by the
    /// configuration-binding source generator. <paramref name="configure"/> runs after the binding.
    /// </summary>
    public static IServiceCollection AddSessionConnector(this IServiceCollection services, IConfiguration configuration, Action<SessionConnectorWebOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.Configure<SessionConnectorWebOptions>(o => SettingsApplier.Apply(configuration, o));
        return services.AddSessionConnector(configure);
    }
}
