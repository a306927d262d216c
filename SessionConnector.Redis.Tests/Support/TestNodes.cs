using System;
using System.Security.Cryptography;
using SessionConnector.Storage;
using SessionConnector.Testing;

namespace SessionConnector.Redis.Tests.Support;

/// <summary>Builds connectors over a test server, each test with its own key prefix.</summary>
public static class TestNodes
{
    public static string NewPrefix() => "t" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant() + ":";

    public static RedisSessionStorage Storage(RedisServer server, string prefix, string? channel = null, TimeSpan? operationTimeout = null) =>
        RedisSessionStorage.Connect(new RedisSessionStorageOptions
        {
            Configuration = server.Endpoint,
            KeyPrefix = prefix,
            InvalidationChannel = channel,
            OperationTimeout = operationTimeout ?? TimeSpan.FromSeconds(2),
            ConnectTimeout = TimeSpan.FromSeconds(2),
        });

    public static SessionStorageConnector Connector(RedisServer server, string prefix, byte[] secret, TimeSpan? cacheMaxAge = null, string? channel = null) =>
        SharedNodes.Connector(Storage(server, prefix, channel), secret, cacheMaxAge);
}
