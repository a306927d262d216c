using System;
using System.Diagnostics;
using System.Threading;
using SessionConnector.Redis;
using SessionConnector.Storage;

namespace SessionConnector.Redis.Tests.Support;

/// <summary>
/// Entry point when this test assembly runs as a child process (<c>dotnet SessionConnector.Redis.Tests.dll worker node ...</c>):
/// a second node on the same Redis, driven line by line by <see cref="NodeProcess"/>.
/// </summary>
/// <remarks>
/// <code>
/// Usage: worker node &lt;redis configuration&gt; &lt;key prefix&gt; &lt;secret hex&gt; [wait-for-replicas]
/// Commands, one per line; every command answers one line:
///   get ID KEY                     -&gt; the value, or &lt;null&gt; when the session is missing
///   update ID KEY VALUE            -&gt; True/False
///   waitfor ID KEY VALUE TIMEOUTMS -&gt; "started" after a first read, then "seen &lt;Stopwatch timestamp&gt;" or "timeout"
///   watchnull ID MS                -&gt; how many reads in MS milliseconds returned the session (should be 0)
///   load ID,ID,... WORKERS TAG     -&gt; "started"; WORKERS threads update the sessions until "stop" (see FailoverLoad)
///   stop                           -&gt; "acked=N lost=N stale=N errors=N reads=N" for the load
///   quit
/// </code>
/// </remarks>
public static class NodeWorker
{
    public static int Main(string[] args) => ChildProcess.WorkerMain(args, a => a[1] == "node" ? RunNode(a[2..]) : null);

    private static int RunNode(string[] args)
    {
        if (args.Length is < 3 or > 4)
        {
            Console.Error.WriteLine("usage: worker node <configuration> <prefix> <secret hex> [wait-for-replicas]");
            return 2;
        }

        byte[] secret = Convert.FromHexString(args[2]);
        RedisSessionStorage storage = RedisSessionStorage.Connect(new RedisSessionStorageOptions
        {
            Configuration = args[0],
            KeyPrefix = args[1],
            WaitForReplicas = args.Length == 4 ? int.Parse(args[3]) : 0,
        });
        using var connector = new SessionStorageConnector(storage, new SessionConnectorOptions
        {
            Keys = SessionKeyRing.FromSecret(secret),
            // Long on purpose: only an invalidation can make this node see another node's change quickly.
            CacheMaxAge = TimeSpan.FromMinutes(5),
        });

        FailoverLoad? load = null;
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
                case "load":
                    load = new FailoverLoad(connector, p[1].Split(','), int.Parse(p[2]), p[3]);
                    load.Start();
                    Console.WriteLine("started");
                    break;
                case "stop":
                {
                    if (load is null)
                    {
                        Console.WriteLine("no load");
                        break;
                    }

                    // The final check reads straight from Redis (no cache), through a second storage on the same connection.
                    using var fresh = new SessionStorageConnector(
                        RedisSessionStorage.Connect(new RedisSessionStorageOptions { Multiplexer = storage.Multiplexer, KeyPrefix = args[1] }),
                        new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(secret), CacheCapacity = 0 });
                    Console.WriteLine(load.Stop(fresh));
                    load = null;
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
    }
}
