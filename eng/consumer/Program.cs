using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using SessionConnector;
using SessionConnector.AspNetCore;
using SessionConnector.Postgres;
using SessionConnector.Redis;
using SessionConnector.Storage;

// Consumes the packed packages: the generator must run from the package (PlayerSession gets its serializers), the
// runtime and its dependencies must restore, and the result must publish with NativeAOT and run.
string directory = Path.Combine(Path.GetTempPath(), "sc-consumer-" + Guid.NewGuid().ToString("N"));
var keys = SessionKeyRing.FromSecret(RandomNumberGenerator.GetBytes(32));
using (var connector = new SessionStorageConnector(new FileSessionStorage(directory), new SessionConnectorOptions { Keys = keys }))
{
    string id = SessionIds.Generate();
    connector.Set(id, new PlayerSession { PlayerId = 7, Name = "ada", Tags = ["admin"] }, TimeSpan.FromMinutes(5));
    connector.Update<PlayerSession>(id, s => s.Level++);
    PlayerSession? read = connector.Get<PlayerSession>(id);
    if (read is not { PlayerId: 7, Name: "ada", Level: 1 } || !read.Tags.Contains("admin"))
    {
        Console.Error.WriteLine("round trip through the packaged connector failed");
        return 1;
    }

    // The Redis package resolves and its options type loads (no server needed for that).
    var redis = new RedisSessionStorageOptions { KeyPrefix = "consumer:" };
    // The ASP.NET Core package resolves with its framework reference, and its defaults are the safe ones.
    var cookie = new SessionCookieOptions();
    // Null Secure policy and host prefix: resolved at start-up (Secure and __Host- outside Development).
    if (cookie.SecurePolicy is not null || cookie.UseHostPrefix is not null || cookie.Name.Length == 0)
    {
        Console.Error.WriteLine("the packaged ASP.NET Core cookie defaults are not the documented ones");
        return 1;
    }

    Console.WriteLine($"file round trip ok; redis options prefix '{redis.KeyPrefix}'; cookie '{cookie.Name}'");
}

// The Postgres package: with a server (pack-consume.sh starts one), a real round trip through Npgsql's slim data
// source, the part NativeAOT must keep; without one, its options type loads.
if (Environment.GetEnvironmentVariable("SESSIONCONNECTOR_POSTGRES") is { Length: > 0 } postgres)
{
    var storage = PostgresSessionStorage.Connect(new PostgresSessionStorageOptions { ConnectionString = postgres, TableName = "consumer_sessions" });
    storage.EnsureSchema();
    using var connector = new SessionStorageConnector(storage, new SessionConnectorOptions { Keys = keys });
    string id = SessionIds.Generate();
    connector.Set(id, new PlayerSession { PlayerId = 8, Name = "grace" }, TimeSpan.FromMinutes(5));
    connector.Update<PlayerSession>(id, s => s.Level += 2);
    if (connector.Get<PlayerSession>(id) is not { PlayerId: 8, Level: 2 })
    {
        Console.Error.WriteLine("round trip through the packaged Postgres storage failed");
        return 1;
    }

    Console.WriteLine("postgres round trip ok");
}
else
{
    Console.WriteLine($"postgres options table '{new PostgresSessionStorageOptions { TableName = "consumer_sessions" }.TableName}'");
}

Directory.Delete(directory, recursive: true);
Console.WriteLine("Consumer OK");
return 0;

[SessionData]
public partial class PlayerSession
{
    public long PlayerId { get; set; }
    public string Name { get; set; } = "";
    public int Level { get; set; }
    public HashSet<string> Tags { get; set; } = [];
}
