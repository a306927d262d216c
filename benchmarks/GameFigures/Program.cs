using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using GameFigures;
using SessionConnector.Redis;
using SessionConnector.Storage;

// Usage: GameFigures [rounds] (Redis from SESSIONCONNECTOR_REDIS=host:port; without it the Redis figures are skipped
// and say so). Prints a Markdown table.
int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
const int ResumesPerRound = 40;
TimeSpan loopTime = TimeSpan.FromSeconds(1.5);
string? redis = Environment.GetEnvironmentVariable("SESSIONCONNECTOR_REDIS");
byte[] secret = RandomNumberGenerator.GetBytes(32);
string fileRoot = Directory.CreateTempSubdirectory("game-figures-").FullName;
string prefix = "gf" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant() + ":";

SessionStorage Redis() => RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = redis!, KeyPrefix = prefix });

var backends = new List<(string Name, Func<SessionStorage> Storage)>
{
    ("memory", () => new MemorySessionStorage(100_000)),
    ("file", () => new FileSessionStorage(fileRoot, FileDurability.PowerLoss)),
};
if (redis is not null) backends.Add(("redis", Redis));

var nodes = new Dictionary<string, Node>();
foreach ((string name, Func<SessionStorage> storage) in backends) nodes[name] = await Node.StartAsync(storage, secret, TimeSpan.FromMilliseconds(100));
Node? redisB = redis is null ? null : await Node.StartAsync(Redis, secret, TimeSpan.FromMilliseconds(100));

var resume = backends.ToDictionary(b => b.Name, _ => new List<double>());
var loops = new Dictionary<string, List<double>> { ["bare"] = [], ["file"] = [], ["redis"] = [] };
var closes = new List<double>();

for (int round = 0; round < rounds; round++)
{
    // Resume: token -> session -> a new socket answering its first message (the client's full reconnect).
    foreach ((string name, _) in backends)
    {
        Node node = nodes[name];
        for (int i = 0; i < ResumesPerRound; i++)
        {
            (_, string token) = await node.LoginAsync();
            var clock = Stopwatch.StartNew();
            (string session, _) = await node.ResumeAsync(token);
            using ClientWebSocket socket = await node.ConnectAsync("/play", session);
            await RoundTripAsync(socket);
            resume[name].Add(clock.Elapsed.TotalMilliseconds);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
    }

    // Tick loop: one message in, one reply out; with a view read per message, or no session at all.
    foreach (string variant in loops.Keys.ToArray())
    {
        if (variant == "redis" && redis is null) continue;
        Node node = nodes[variant == "bare" ? "file" : variant];
        string? session = variant == "bare" ? null : (await node.LoginAsync()).Session;
        using ClientWebSocket socket = await node.ConnectAsync(variant == "bare" ? "/bare" : "/play", session);
        for (int i = 0; i < 200; i++) await RoundTripAsync(socket); // warm
        int messages = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < loopTime)
        {
            await RoundTripAsync(socket);
            messages++;
        }

        loops[variant].Add(messages / clock.Elapsed.TotalSeconds);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    // Sign-out on node A -> the socket on node B receives its close frame (Redis invalidation + check interval).
    if (redisB is not null)
    {
        Node a = nodes["redis"];
        for (int i = 0; i < 10; i++)
        {
            (string session, _) = await a.LoginAsync();
            using ClientWebSocket socket = await redisB.ConnectAsync("/play", session);
            await RoundTripAsync(socket); // B has the session cached: only the invalidation can end it
            var buffer = new byte[16];
            Task<WebSocketReceiveResult> closed = socket.ReceiveAsync(buffer, CancellationToken.None);
            var clock = Stopwatch.StartNew();
            await a.LogoutAsync(session);
            WebSocketReceiveResult result = await closed;
            if (result.MessageType != WebSocketMessageType.Close) throw new InvalidOperationException("expected the close frame");
            closes.Add(clock.Elapsed.TotalMilliseconds);
        }
    }
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rounds} interleaved rounds; {Environment.ProcessorCount} cores, loaded by other builds: compare ratios, not absolutes."));
Console.WriteLine();
Console.WriteLine("| resume (token -> session -> new socket's first reply) | n | p50 ms | p99 ms | p50 vs memory |");
Console.WriteLine("|---|---|---|---|---|");
double memoryP50 = Percentile(resume["memory"], 0.50);
foreach ((string name, List<double> samples) in resume)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {samples.Count} | {Percentile(samples, 0.50):F2} | {Percentile(samples, 0.99):F2} | {Percentile(samples, 0.50) / memoryP50:F2}x |"));
}

Console.WriteLine();
Console.WriteLine("| tick loop (1 message in, 1 reply out) | rounds | median msgs/s | vs no session |");
Console.WriteLine("|---|---|---|---|");
double bare = Median(loops["bare"]);
foreach ((string name, List<double> samples) in loops.Where(l => l.Value.Count > 0))
{
    string label = name == "bare" ? "no session" : $"view read per message ({name})";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {samples.Count} | {Median(samples):F0} | {Median(samples) / bare:F2}x |"));
}

Console.WriteLine();
if (closes.Count > 0)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sign-out on node A -> close frame on node B (Redis, CheckInterval 100 ms): n={closes.Count}, p50 {Percentile(closes, 0.5):F1} ms, p99 {Percentile(closes, 0.99):F1} ms, max {closes.Max():F1} ms"));
}
else
{
    Console.WriteLine("Redis figures skipped: SESSIONCONNECTOR_REDIS is not set.");
}

foreach (Node node in nodes.Values) await node.DisposeAsync();
if (redisB is not null) await redisB.DisposeAsync();
Directory.Delete(fileRoot, recursive: true);
return 0;

static async Task RoundTripAsync(ClientWebSocket socket)
{
    await socket.SendAsync("m"u8.ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
    var buffer = new byte[16];
    WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, CancellationToken.None);
    if (result.MessageType != WebSocketMessageType.Binary) throw new InvalidOperationException("the socket closed");
}

static double Percentile(List<double> samples, double p)
{
    double[] sorted = samples.Order().ToArray();
    return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

static double Median(List<double> samples) => Percentile(samples, 0.5);
