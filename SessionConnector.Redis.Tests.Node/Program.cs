using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using SessionConnector;
using SessionConnector.Redis;
using SessionConnector.Storage;

// Usage: SessionConnector.Redis.Tests.Node <redis configuration> <key prefix> <secret hex> [wait-for-replicas]
// Commands, one per line; every command answers one line:
//   get ID KEY                     -> the value, or <null> when the session is missing
//   update ID KEY VALUE            -> True/False
//   waitfor ID KEY VALUE TIMEOUTMS -> "started" after a first read, then "seen <Stopwatch timestamp>" or "timeout"
//   watchnull ID MS                -> how many reads in MS milliseconds returned the session (should be 0)
//   load ID,ID,... WORKERS TAG     -> "started"; WORKERS threads update the sessions until "stop" (see FailoverLoad)
//   stop                           -> "acked=N lost=N stale=N errors=N reads=N" for the load
//   quit
if (args.Length is < 3 or > 4)
{
    Console.Error.WriteLine("usage: node <configuration> <prefix> <secret hex> [wait-for-replicas]");
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

/// <summary>
/// Updates shared sessions from several threads while the test fails a Redis primary over, and counts what a user
/// would notice. Each worker owns one field (TAG + worker) in every session and writes its own increasing sequence
/// number there, so the worker alone knows which values it was acknowledged. When an Update's delegate (or the final
/// read) sees value s, every acknowledged value above s was lost (rolled back by the failover); a Get that returns less
/// than the last acknowledged value is a stale read. A failed Update may or may not have been applied, so it records
/// nothing: it cannot make a later observation look lost.
/// </summary>
internal sealed class FailoverLoad(SessionStorageConnector connector, string[] ids, int workers, string tag)
{
    private readonly Thread[] _threads = new Thread[workers];
    private readonly List<long>[][] _acked = new List<long>[workers][];
    private long _ackCount;
    private long _lost;
    private long _stale;
    private long _errors;
    private long _unexpected;
    private long _reads;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _errorKinds = new();
    private volatile bool _stop;

    public void Start()
    {
        for (int w = 0; w < workers; w++)
        {
            int worker = w;
            _acked[w] = new List<long>[ids.Length];
            for (int i = 0; i < ids.Length; i++) _acked[w][i] = new();
            _threads[w] = new Thread(() => Run(worker)) { IsBackground = true };
            _threads[w].Start();
        }
    }

    public string Stop(SessionStorageConnector fresh)
    {
        _stop = true;
        foreach (Thread t in _threads) t.Join();
        // Last observation: what Redis holds now.
        for (int w = 0; w < workers; w++)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                _lost += Observe(_acked[w][i], FieldOf(fresh.Get<SessionBag>(ids[i]), w));
            }
        }

        string kinds = string.Join("; ", _errorKinds.OrderByDescending(k => k.Value).Take(4).Select(k => $"{k.Value}x {k.Key}"));
        return $"acked={_ackCount} lost={_lost} stale={_stale} errors={_errors} reads={_reads} unexpected={_unexpected} | {kinds}";
    }

    /// <summary>Removes and counts the acknowledged values above <paramref name="seen"/>: they are gone from the record.</summary>
    private static int Observe(List<long> acked, long seen)
    {
        int keep = acked.Count;
        while (keep > 0 && acked[keep - 1] > seen) keep--;
        int lost = acked.Count - keep;
        acked.RemoveRange(keep, lost);
        return lost;
    }

    private static long Last(List<long> acked) => acked.Count == 0 ? 0 : acked[^1];

    private long FieldOf(SessionBag? bag, int worker) => bag?[tag + worker] is long value ? value : 0;

    private void Run(int worker)
    {
        List<long>[] acked = _acked[worker];
        long sequence = 0;
        int i = worker % ids.Length;
        while (!_stop)
        {
            i = (i + 1) % ids.Length;
            long next = ++sequence;
            long seen = 0;
            try
            {
                bool ok = connector.Update<SessionBag>(ids[i], bag =>
                {
                    seen = FieldOf(bag, worker);
                    bag[tag + worker] = next;
                });
                if (!ok)
                {
                    Interlocked.Increment(ref _errors);
                    continue;
                }

                int lost = Observe(acked[i], seen);
                if (lost > 0) Interlocked.Add(ref _lost, lost);
                acked[i].Add(next);
                Interlocked.Increment(ref _ackCount);

                // A read of another session this worker wrote: never older than what it was acknowledged.
                int j = (i + ids.Length / 2) % ids.Length;
                Interlocked.Increment(ref _reads);
                if (FieldOf(connector.Get<SessionBag>(ids[j]), worker) < Last(acked[j])) Interlocked.Increment(ref _stale);
            }
            catch (Exception e)
            {
                // Only the typed storage and conflict errors are expected; anything else is reported by type so the
                // test can fail on it (a crash here would only show up as a dead process).
                Interlocked.Increment(ref _errors);
                if (e is not (SessionStorageException or SessionConflictException)) Interlocked.Increment(ref _unexpected);
                string message = e is SessionStorageException or SessionConflictException ? e.Message : $"UNEXPECTED {e.GetType().Name}: {e.Message} {e.StackTrace}";
                string kind = message.Length > 70 && e is SessionStorageException or SessionConflictException ? message[..70] : message;
                _errorKinds.AddOrUpdate(kind, 1, (_, n) => n + 1);
                Thread.Sleep(5);
            }
        }
    }
}
