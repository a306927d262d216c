using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using SessionConnector.Storage;

namespace SessionConnector.Redis.Tests.Support;

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
