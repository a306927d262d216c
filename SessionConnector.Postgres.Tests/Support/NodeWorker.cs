using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;

namespace SessionConnector.Postgres.Tests.Support;

/// <summary>
/// Entry point when this test assembly runs as a child process (<c>dotnet SessionConnector.Postgres.Tests.dll worker count ...</c>):
/// another node on the same table, in its own process, with its own pool and cache.
/// </summary>
/// <remarks>
/// <code>
/// Usage: worker count &lt;table&gt; &lt;secret hex&gt; &lt;session id&gt; &lt;threads&gt; &lt;increments per thread&gt;
/// The connection string comes from SESSIONCONNECTOR_POSTGRES. Prints "ready", waits for a "go" line, runs the
/// increments (UpdateAsync of a counter), prints "done N" with the increments it made, and exits.
/// </code>
/// </remarks>
public static class NodeWorker
{
    public static int Main(string[] args) => ChildProcess.WorkerMain(args, a => a[1] == "count" ? Count(a[2..]) : null);

    private static int Count(string[] args)
    {
        string connectionString = Environment.GetEnvironmentVariable("SESSIONCONNECTOR_POSTGRES")
            ?? throw new InvalidOperationException("SESSIONCONNECTOR_POSTGRES is not set.");
        string table = args[0];
        byte[] secret = Convert.FromHexString(args[1]);
        string id = args[2];
        int threads = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        int perThread = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
        PostgresSessionStorage storage = PostgresSessionStorage.Connect(new PostgresSessionStorageOptions
        {
            ConnectionString = connectionString, TableName = table, SweepInterval = Timeout.InfiniteTimeSpan, OperationTimeout = TimeSpan.FromSeconds(10),
        });
        using var connector = new SessionStorageConnector(storage, new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(secret) });
        Console.WriteLine("ready");
        if (Console.ReadLine() != "go") return 3;
        var errors = new ConcurrentQueue<Exception>();
        long done = 0;
        Thread[] workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            try
            {
                for (int i = 0; i < perThread; i++)
                {
                    if (!connector.Update<SessionBag>(id, bag => bag["n"] = (long)bag["n"]! + 1)) throw new InvalidOperationException("the session vanished");
                    Interlocked.Increment(ref done);
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        })).ToArray();
        foreach (Thread t in workers) t.Start();
        foreach (Thread t in workers) t.Join();
        foreach (Exception e in errors) Console.Error.WriteLine(e);
        Console.WriteLine("done " + Interlocked.Read(ref done).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return errors.IsEmpty ? 0 : 1;
    }
}
