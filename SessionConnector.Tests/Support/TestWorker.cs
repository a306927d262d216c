using System;
using System.IO;
using SessionConnector;
using SessionConnector.Storage;

namespace SessionConnector.Tests.Support;

/// <summary>
/// Entry point when the test assembly runs as a child process (<c>dotnet SessionConnector.Tests.dll worker ...</c>),
/// so multi-process and crash tests use real separate processes on the real storage code.
/// </summary>
public static class TestWorker
{
    public static int Main(string[] args) => ChildProcess.WorkerMain(args, Run);

    private static int? Run(string[] args)
    {
        switch (args[1])
        {
            case "update-file":
            {
                // worker update-file <dir> <id> <count>
                using var c = Open(args[2]);
                int count = int.Parse(args[4]);
                for (int i = 0; i < count; i++)
                {
                    if (!c.Update<Counter>(args[3], x => x.Value++)) return 3;
                }

                return 0;
            }

            case "seal-nonces":
            {
                // worker seal-nonces <count>: seals on four threads with the shared key, prints each envelope's salt and nonce.
                foreach (string id in Protection.ProtectionEpochTests.SealNonces(int.Parse(args[2]))) Console.Out.WriteLine(id);
                return 0;
            }

            case "write-loop":
            {
                // worker write-loop <dir> <durability> <ids...>: rewrites the sessions forever, until killed.
                using var c = Open(args[2], Enum.Parse<FileDurability>(args[3]));
                long start = 0;
                for (int i = 4; i < args.Length; i++)
                {
                    if (c.TryGet<Counter>(args[i], out Counter? existing)) start = Math.Max(start, existing.Value);
                }

                Console.Out.WriteLine("ready");
                Console.Out.Flush();
                // Values keep growing across restarts, so the parent can tell old from new records.
                for (long n = start + 1; ; n++)
                {
                    for (int i = 4; i < args.Length; i++)
                    {
                        c.Set(args[i], new Counter { Value = n, Log = { new string('x', (int)(n % 4096)) } });
                    }
                }
            }

            case "json-disabled":
            {
                // worker json-disabled <dir> <json-record-id>: the JSON trimming switch off, as an app would set it.
                AppContext.SetSwitch("SessionConnector.JsonFormat.IsSupported", false);
                try
                {
                    using var json = new SessionStorageConnector(new MemorySessionStorage(),
                        new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(TestConnectors.Key), Format = SessionFormat.Json });
                    Console.Error.WriteLine("a JSON connector was created with JSON disabled");
                    return 3;
                }
                catch (SessionStorageConnectorException)
                {
                }

                using var c = Open(args[2]);
                if (c.TryGet<Counter>(args[3], out _))
                {
                    Console.Error.WriteLine("a JSON record was read with JSON disabled");
                    return 4;
                }

                string id = SessionStorageConnector.GenerateId();
                c.Set(id, new Counter { Value = 9 });
                return c.Get<Counter>(id)?.Value == 9 ? 0 : 5;
            }

            case "store-merge":
                return Merging.MergeWorker.RunWorker(args);

            case "coherence":
                // worker coherence <dir> <table|none>: changes sessions on request (see FileCoherenceProcessTests).
                return Connector.FileCoherenceProcessTests.Worker(args[2], args[3] == "table");

            case "mixed-paths":
                // worker mixed-paths <dir> <board> <index> <seed> <counters> <lifecycles> <expiring>: see MixedPathStressTests.
                return Reliability.MixedPathStressTests.Worker(args);

            case "principal-reader":
                // worker principal-reader <dir> <id>: reads a bound session in a loop until it has been gone for 300 ms.
                return Principals.PrincipalProcessTests.ReaderWorker(args[2], args[3]);

            default:
                return null;
        }
    }

    public static SessionStorageConnector Open(string directory, FileDurability durability = FileDurability.ProcessCrash) =>
        new(new FileSessionStorage(directory, durability),
            new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(TestConnectors.Key), CacheCapacity = 0 });
}
