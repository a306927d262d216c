using System;
using System.Diagnostics;
using System.Security.Cryptography;
using SessionConnector;
using SessionConnector.Redis;

// Connects to Redis (SESSIONCONNECTOR_REDIS, default 127.0.0.1:6379), then sets, reads and updates a session through
// the static Sessions facade, printing how long each step took. Exits non-zero on any failure.
string endpoint = Environment.GetEnvironmentVariable("SESSIONCONNECTOR_REDIS") is { Length: > 0 } configured ? configured : "127.0.0.1:6379";
try
{
    var total = Stopwatch.StartNew();
    var step = Stopwatch.StartNew();
    RedisSessionStorage storage = await RedisSessionStorage.ConnectAsync(new RedisSessionStorageOptions
    {
        Configuration = endpoint,
        // One prefix per application: Clear removes only keys of this exact shape.
        KeyPrefix = "quickstart:sess:",
    });
    Sessions.Configure(storage, new SessionConnectorOptions
    {
        // A real app loads its secret from configuration; a random one keeps the sample self-contained.
        Keys = SessionKeyRing.FromSecret(RandomNumberGenerator.GetBytes(32)),
    });
    Report("connect", step);

    string id = Sessions.GenerateId();
    Sessions.Set(id, new SessionBag { ["user"] = "ada", ["visits"] = 1 }, TimeSpan.FromMinutes(20));
    Report("set", step);

    SessionBag? read = Sessions.Get<SessionBag>(id);
    Report("get (cached)", step);
    Check(read?["user"] as string == "ada", "the session read back does not hold the user");

    for (int i = 0; i < 100; i++) Sessions.Update<SessionBag>(id, bag => bag["visits"] = (long)bag["visits"]! + 1);
    Report("100 updates", step);

    Check(Sessions.Get<SessionBag>(id)?["visits"] is 101L, "the visit count is not 101");
    Check(Sessions.Delete(id), "the session was not deleted");
    Check(Sessions.Get<SessionBag>(id) is null, "the deleted session is still served");
    Report("delete", step);

    Sessions.Close();
    Console.WriteLine($"OK: redis at {endpoint}, total {total.Elapsed.TotalMilliseconds:F1} ms");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"FAILED against redis at {endpoint}: {e.GetType().Name}: {e.Message}");
    return 1;
}

static void Report(string what, Stopwatch step)
{
    Console.WriteLine($"{what,-14} {step.Elapsed.TotalMilliseconds,8:F2} ms");
    step.Restart();
}

static void Check(bool condition, string message)
{
    if (!condition) throw new InvalidOperationException(message);
}
