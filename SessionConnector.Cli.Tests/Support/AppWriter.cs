using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis;
using SessionConnector.Storage;

namespace SessionConnector.Cli.Tests.Support;

/// <summary>
/// Entry point when this test assembly runs as an application process (<c>dotnet exec SessionConnector.Cli.Tests.dll worker …</c>,
/// started through <see cref="ChildProcess"/>):
/// the real connector writing to the real store, with keys from SESSIONCONNECTOR_KEYS, while sessionctl works on it.
/// </summary>
/// <remarks>
/// <c>worker populate STORE COUNT EXPIRY_SECONDS</c>: creates COUNT sessions (SessionBag n=0, user=user-i), prints their IDs.<br/>
/// <c>worker update STORE IDS_FILE STOP_FILE</c>: increments n of random IDs until STOP_FILE exists, then prints
/// "ID successes" per ID and "absent N" (updates that found no session).<br/>
/// STORE is <c>file:DIR</c>, <c>file-nofsync:DIR</c> or <c>redis:CONFIG|PREFIX</c>.
/// </remarks>
public static class AppWriter
{
    public static int Main(string[] args) => ChildProcess.WorkerMain(args, Run);

    private static int? Run(string[] args)
    {
        if (args[1] is not ("populate" or "update")) return null;
        using SessionStorageConnector connector = Open(args[2]);
        switch (args[1])
        {
            case "populate":
            {
                int count = int.Parse(args[3]);
                int expirySeconds = int.Parse(args[4]);
                TimeSpan? expiry = expirySeconds > 0 ? TimeSpan.FromSeconds(expirySeconds) : null;
                var ids = new string[count];
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
                {
                    string id = SessionStorageConnector.GenerateId();
                    if (!connector.Set(id, new SessionBag { ["n"] = 0L, ["user"] = "user-" + i, ["roles"] = new List<object?> { "reader", 7L } }, expiry))
                    {
                        throw new InvalidOperationException("populate: Set returned false");
                    }

                    ids[i] = id;
                });
                Console.Out.Write(string.Join('\n', ids) + "\n");
                return 0;
            }

            case "update":
            {
                string[] ids = File.ReadAllLines(args[3]);
                string stopFile = args[4];
                var successes = new long[ids.Length];
                long absent = 0;
                var random = new Random();
                while (!File.Exists(stopFile))
                {
                    int i = random.Next(ids.Length);
                    try
                    {
                        if (connector.Update<SessionBag>(ids[i], b => b["n"] = (long)b["n"]! + 1)) successes[i]++;
                        else absent++;
                    }
                    catch (SessionConflictException)
                    {
                        // Not applied; not counted.
                    }
                }

                for (int i = 0; i < ids.Length; i++) Console.Out.WriteLine($"{ids[i]} {successes[i]}");
                Console.Out.WriteLine($"absent {absent}");
                return 0;
            }

            default:
                return null;
        }
    }

    /// <remarks>
    /// A file store opens without its background sweep: a populate step leaves its expired records (they expire while a
    /// large population is still being written) for the purge that sessionctl measures or tests next.
    /// </remarks>
    internal static SessionStorage OpenStorage(string store)
    {
        int colon = store.IndexOf(':');
        string kind = store[..colon], location = store[(colon + 1)..];
        switch (kind)
        {
            case "file":
                return new FileSessionStorage(location, new FileSessionStorageOptions { SweepInterval = Timeout.InfiniteTimeSpan });
            case "file-nofsync":
                return new FileSessionStorage(location, new FileSessionStorageOptions { Durability = FileDurability.ProcessCrash, SweepInterval = Timeout.InfiniteTimeSpan });
            case "redis":
                string[] parts = location.Split('|');
                return RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = parts[0], KeyPrefix = parts[1] });
            default:
                throw new ArgumentException("unknown store " + store);
        }
    }

    private static SessionStorageConnector Open(string store) =>
        new(OpenStorage(store), new SessionConnectorOptions
        {
            Keys = SessionKeyRing.FromEnvironment() ?? throw new InvalidOperationException("SESSIONCONNECTOR_KEYS is not set"),
            MaxUpdateAttempts = 1000,
        });
}
