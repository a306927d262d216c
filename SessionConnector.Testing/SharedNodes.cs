using System;
using System.Security.Cryptography;
using SessionConnector.Storage;

namespace SessionConnector.Testing;

/// <summary>Keys, connectors and bags as every backend's tests build them: a fresh random secret per test.</summary>
public static class SharedNodes
{
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(32);

    /// <summary>A connector over <paramref name="storage"/> with its own key ring; the cache keeps entries 10 s unless told.</summary>
    public static SessionStorageConnector Connector(SessionStorage storage, byte[] secret, TimeSpan? cacheMaxAge = null) =>
        new(storage, new SessionConnectorOptions
        {
            Keys = SessionKeyRing.FromSecret(secret),
            CacheMaxAge = cacheMaxAge ?? TimeSpan.FromSeconds(10),
        });

    public static SessionBag Bag(string key, object? value) => new() { [key] = value };
}
