using System;
using System.Diagnostics;
using System.Threading;
using SessionConnector;
using SessionConnector.Redis;

// Usage: SessionConnector.Redis.Tests.Node <redis endpoint> <key prefix> <secret hex>
// Commands, one per line; every command answers one line:
//   get ID KEY                     -> the value, or <null> when the session is missing
//   update ID KEY VALUE            -> True/False
//   waitfor ID KEY VALUE TIMEOUTMS -> "started" after a first read, then "seen <Stopwatch timestamp>" or "timeout"
//   watchnull ID MS                -> how many reads in MS milliseconds returned the session (should be 0)
//   quit
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: node <endpoint> <prefix> <secret hex>");
    return 2;
}

var storage = new RedisSessionStorage(new RedisSessionStorageOptions { Configuration = args[0], KeyPrefix = args[1] });
using var connector = new SessionStorageConnector(storage, new SessionConnectorOptions
{
    Keys = SessionKeyRing.FromSecret(Convert.FromHexString(args[2])),
    // Long on purpose: only an invalidation can make this node see another node's change quickly.
    CacheMaxAge = TimeSpan.FromMinutes(5),
});

Console.Out.Flush();
Console.WriteLine("ready");
string? line;
while ((line = Console.ReadLine()) is not null)
{
    string[] p = line.Split(' ');
    switch (p[0])
    {
        case "get":
            Console.WriteLine(Read(p[1], p[2]));
            break;
        case "update":
            Console.WriteLine(connector.Update(p[1], new SessionBag { [p[2]] = p[3] }));
            break;
        case "waitfor":
        {
            Read(p[1], p[2]);
            Console.WriteLine("started");
            long deadline = Environment.TickCount64 + long.Parse(p[4]);
            string result = "timeout";
            while (Environment.TickCount64 < deadline)
            {
                if (Read(p[1], p[2]) == p[3])
                {
                    result = "seen " + Stopwatch.GetTimestamp();
                    break;
                }

                Thread.Yield();
            }

            Console.WriteLine(result);
            break;
        }
        case "watchnull":
        {
            long deadline = Environment.TickCount64 + long.Parse(p[2]);
            int served = 0;
            while (Environment.TickCount64 < deadline)
            {
                if (connector.Get<SessionBag>(p[1]) is not null) served++;
                Thread.Sleep(1);
            }

            Console.WriteLine(served);
            break;
        }
        case "quit":
            return 0;
        default:
            Console.WriteLine("unknown command " + p[0]);
            break;
    }
}

return 0;

string Read(string id, string key) => connector.Get<SessionBag>(id) is { } bag ? bag[key]?.ToString() ?? "<missing>" : "<null>";
