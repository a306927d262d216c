using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using GameLoop;
using SessionConnector;
using SessionConnector.Storage;

// Usage: GameLoop <file-processcrash|file-powerloss|memory> [seconds=3] [workers=8] [sessions=256]
// Prints one line: backend, operations/s, and user/sys CPU microseconds per operation (from getrusage via
// Process.UserProcessorTime/PrivilegedProcessorTime, taken around the timed loop only, after a warm-up).
// scripts/bench-gameloop.sh runs it against this checkout and a previous one in alternation.
string backend = args.Length > 0 ? args[0] : "file-processcrash";
double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 3;
int workers = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
int sessions = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 256;

string root = Directory.CreateTempSubdirectory("gameloop-").FullName;
SessionStorage storage = backend switch
{
    "file-processcrash" => new FileSessionStorage(root, FileDurability.ProcessCrash),
    "file-powerloss" => new FileSessionStorage(root, FileDurability.PowerLoss),
    "memory" => new MemorySessionStorage(100_000),
    _ => throw new ArgumentException("backend: file-processcrash, file-powerloss or memory"),
};
using var connector = new SessionStorageConnector(storage, new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(RandomNumberGenerator.GetBytes(32)) });
string[] ids = new string[sessions];
for (int i = 0; i < sessions; i++)
{
    ids[i] = SessionStorageConnector.GenerateId();
    connector.Set(ids[i], new PlayerState { Player = "p" + i.ToString(CultureInfo.InvariantCulture) }, TimeSpan.FromHours(1));
}

long Loop(TimeSpan duration)
{
    long total = 0;
    var threads = new Thread[workers];
    long stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    for (int w = 0; w < workers; w++)
    {
        int seed = w;
        threads[w] = new Thread(() =>
        {
            var random = new Random(seed);
            long ops = 0;
            while (Stopwatch.GetTimestamp() < stop)
            {
                string id = ids[random.Next(ids.Length)];
                if (random.Next(2) == 0)
                {
                    if (connector.Get<PlayerState>(id) is null) throw new InvalidOperationException("session lost");
                }
                else if (!connector.Update<PlayerState>(id, s => { s.X++; s.Score += 10; s.Ticks++; }))
                {
                    throw new InvalidOperationException("update found no session");
                }

                ops++;
            }

            Interlocked.Add(ref total, ops);
        });
        threads[w].Start();
    }

    foreach (Thread t in threads) t.Join();
    return total;
}

try
{
    Loop(TimeSpan.FromSeconds(2)); // warm-up: JIT tiers (a 1 s warm-up left ~15% of the timed CPU in the JIT), caches, file-system state
    using var self = Process.GetCurrentProcess();
    self.Refresh();
    TimeSpan user0 = self.UserProcessorTime, sys0 = self.PrivilegedProcessorTime;
    var clock = Stopwatch.StartNew();
    long ops = Loop(TimeSpan.FromSeconds(seconds));
    double elapsed = clock.Elapsed.TotalSeconds;
    self.Refresh();
    double userUs = (self.UserProcessorTime - user0).TotalMicroseconds / ops, sysUs = (self.PrivilegedProcessorTime - sys0).TotalMicroseconds / ops;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{backend} ops/s {ops / elapsed:F0} user_us/op {userUs:F2} sys_us/op {sysUs:F2} ops {ops} workers {workers} sessions {sessions}"));
}
finally
{
    storage.Dispose();
    Directory.Delete(root, recursive: true);
}
