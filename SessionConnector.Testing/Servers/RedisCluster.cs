using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using SessionConnector.Testing.Processes;
using StackExchange.Redis;

namespace SessionConnector.Testing.Servers;

/// <summary>
/// A real local Redis Cluster owned by the tests: three primaries and three replicas (<c>redis-server
/// --cluster-enabled yes</c> on free loopback ports, joined by <c>redis-cli --cluster create --cluster-replicas 1</c>),
/// persistence off, a 1 s node timeout so a killed primary is replaced within seconds. Nodes can be killed with
/// SIGKILL, restarted (they rejoin as replicas) and failed over by hand.
/// </summary>
public sealed class RedisCluster : IDisposable
{
    private const int Nodes = 6;
    private readonly string _server;
    private readonly string _cli;
    private readonly string _directory;
    private readonly Dictionary<int, ChildProcess?> _processes = new();
    private ConnectionMultiplexer? _admin;

    public RedisCluster()
    {
        _server = RedisServer.FindExecutable()
            ?? throw new InvalidOperationException("redis-server is not installed. Install it with `bash scripts/redis-test-server.sh --install`.");
        _cli = Path.Combine(Path.GetDirectoryName(_server)!, "redis-cli");
        if (!File.Exists(_cli)) throw new InvalidOperationException($"redis-cli was not found next to {_server}.");
        _directory = Directory.CreateTempSubdirectory("sc-redis-cluster-").FullName;
        Ports = FreePorts(Nodes);
        try
        {
            foreach (int port in Ports) Start(port);
            var create = new List<string> { "--cluster", "create" };
            create.AddRange(Ports.Select(p => $"127.0.0.1:{p}"));
            create.AddRange(["--cluster-replicas", "1", "--cluster-yes"]);
            string output = Cli(create, TimeSpan.FromSeconds(60));
            if (!output.Contains("All 16384 slots covered", StringComparison.Ordinal)) throw new InvalidOperationException("redis-cli --cluster create failed:\n" + output);
            WaitHealthy(TimeSpan.FromSeconds(30));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IReadOnlyList<int> Ports { get; }

    /// <summary>A StackExchange.Redis configuration naming every node (the client discovers the topology from any of them).</summary>
    public string Configuration => string.Join(",", Ports.Select(p => $"127.0.0.1:{p}"));

    /// <summary>An admin connection to the whole cluster.</summary>
    public ConnectionMultiplexer Admin => _admin ??= ConnectionMultiplexer.Connect(Configuration + ",allowAdmin=true,abortConnect=false,connectTimeout=2000,syncTimeout=5000");

    /// <summary>The nodes as CLUSTER NODES reports them now, asked of any live node.</summary>
    public IReadOnlyList<ClusterNode> Topology()
    {
        foreach (int port in Ports)
        {
            if (!IsRunning(port)) continue;
            string text;
            try
            {
                text = Cli(["-p", port.ToString(), "cluster", "nodes"], TimeSpan.FromSeconds(5));
            }
            catch (InvalidOperationException)
            {
                continue;
            }

            var nodes = new List<ClusterNode>();
            foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string[] f = line.Split(' ');
                if (f.Length < 8) continue;
                int nodePort = int.Parse(f[1].Split('@')[0].Split(':')[1]);
                string flags = f[2];
                nodes.Add(new ClusterNode(f[0], nodePort, flags.Contains("master"), flags.Contains("fail"), f[3] == "-" ? null : f[3], f.Skip(8).ToArray()));
            }

            if (nodes.Count > 0) return nodes;
        }

        throw new InvalidOperationException("No cluster node answered CLUSTER NODES.");
    }

    /// <summary>The port of the primary that serves <paramref name="key"/>'s slot now.</summary>
    public int PrimaryFor(RedisKey key)
    {
        int slot = Admin.HashSlot(key);
        return Topology().Single(n => n.IsPrimary && !n.Failed && n.Serves(slot)).Port;
    }

    /// <summary>The port of a live replica of the primary on <paramref name="primaryPort"/>.</summary>
    public int ReplicaOf(int primaryPort)
    {
        IReadOnlyList<ClusterNode> nodes = Topology();
        string id = nodes.Single(n => n.Port == primaryPort).Id;
        return nodes.First(n => n.PrimaryId == id && !n.Failed).Port;
    }

    /// <summary>Graceful, coordinated failover: the replica catches up with its primary, then takes over (CLUSTER FAILOVER).</summary>
    public void Failover(int replicaPort)
    {
        string answer = Cli(["-p", replicaPort.ToString(), "cluster", "failover"], TimeSpan.FromSeconds(5)).Trim();
        if (answer != "OK") throw new InvalidOperationException($"CLUSTER FAILOVER on {replicaPort} answered {answer}");
    }

    /// <summary>SIGKILL: the node stops at once, with whatever it had not yet sent to its replica.</summary>
    public void Kill(int port)
    {
        ChildProcess? process = _processes[port];
        if (process is null) return;
        process.Kill();
        process.Dispose();
        _processes[port] = null;
    }

    /// <summary>SIGSTOP / SIGCONT: a paused replica stops reading the replication stream and falls behind its primary.</summary>
    public void Pause(int port, bool paused)
    {
        ChildProcess process = _processes[port] ?? throw new InvalidOperationException($"Node {port} is not running.");
        using ChildProcess kill = ChildProcess.Start("kill", [paused ? "-STOP" : "-CONT", process.Id.ToString()]);
        ChildResult result = kill.WaitForExit(TimeSpan.FromSeconds(10));
        if (result.ExitCode != 0) throw new InvalidOperationException($"kill {(paused ? "-STOP" : "-CONT")} {process.Id} failed: {result.StdErr}");
    }

    /// <summary>Makes the primary drop its replication links (CLIENT KILL TYPE replica): until a replica reconnects, nothing it writes reaches one.</summary>
    public void DropReplicaLinks(int primaryPort) => Cli(["-p", primaryPort.ToString(), "client", "kill", "type", "replica"], TimeSpan.FromSeconds(5));

    /// <summary>Starts a killed node again with its cluster config; it rejoins (as a replica once it was replaced).</summary>
    public void Restart(int port) => Start(port);

    public bool IsRunning(int port) => _processes.TryGetValue(port, out ChildProcess? p) && p is { HasExited: false };

    /// <summary>Waits until every live node says cluster_state:ok, each live node agrees there are three primaries, and every replica is in sync.</summary>
    public void WaitHealthy(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        string last = "";
        while (watch.Elapsed < timeout)
        {
            try
            {
                bool ok = Ports.Where(IsRunning).All(p => Cli(["-p", p.ToString(), "cluster", "info"], TimeSpan.FromSeconds(5)).Contains("cluster_state:ok", StringComparison.Ordinal));
                IReadOnlyList<ClusterNode> nodes = Topology();
                int primaries = nodes.Count(n => n.IsPrimary && !n.Failed && n.Slots.Length > 0);
                bool replicasSynced = Ports.Where(IsRunning).All(p =>
                {
                    string info = Cli(["-p", p.ToString(), "info", "replication"], TimeSpan.FromSeconds(5));
                    return info.Contains("role:master", StringComparison.Ordinal) || info.Contains("master_link_status:up", StringComparison.Ordinal);
                });
                last = $"state ok={ok}, primaries with slots={primaries}, replicas synced={replicasSynced}";
                if (ok && primaries == 3 && replicasSynced && AdminSeesThreePrimaries()) return;
            }
            catch (InvalidOperationException e)
            {
                last = e.Message;
            }

            Thread.Sleep(100);
        }

        throw new TimeoutException($"The cluster did not become healthy within {timeout}: {last}");
    }

    /// <summary>
    /// The shared admin client, if one was made, must see the healed topology too: made before a failover, it keeps the old
    /// map (a killed primary, a replica promoted) until it refreshes, and a test that scans "every primary" would miss one.
    /// </summary>
    private bool AdminSeesThreePrimaries()
    {
        if (_admin is null) return true;
        _admin.Configure();
        return _admin.GetServers().Count(s => !s.IsReplica && s.IsConnected) == 3;
    }

    public void Dispose()
    {
        _admin?.Dispose();
        foreach (int port in _processes.Keys.ToList())
        {
            if (IsRunning(port)) Pause(port, paused: false);
            Kill(port);
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private void Start(int port)
    {
        string dir = Path.Combine(_directory, port.ToString());
        Directory.CreateDirectory(dir);
        ChildProcess process = ChildProcess.Start(_server,
        [
            "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
            "--daemonize", "no", "--protected-mode", "no",
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000",
            // Any replica may take over, however long it was disconnected: the tests restart nodes freely.
            "--cluster-replica-validity-factor", "0",
        ], discardOutput: true);
        _processes[port] = process;
        var watch = Stopwatch.StartNew();
        while (!Ping(port))
        {
            if (process.HasExited) throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {port}: {process.StandardError}");
            if (watch.Elapsed > TimeSpan.FromSeconds(10)) throw new InvalidOperationException($"redis-server did not answer on port {port} within 10 s.");
            Thread.Sleep(20);
        }
    }

    private bool Ping(int port)
    {
        try
        {
            return Cli(["-p", port.ToString(), "ping"], TimeSpan.FromSeconds(2)).Trim() == "PONG";
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private string Cli(IEnumerable<string> args, TimeSpan timeout)
    {
        using ChildProcess process = ChildProcess.Start(_cli, args);
        ChildResult result;
        try
        {
            result = process.WaitForExit(timeout);
        }
        catch (TimeoutException e)
        {
            throw new InvalidOperationException("redis-cli timed out: " + string.Join(' ', args), e);
        }

        if (result.ExitCode != 0) throw new InvalidOperationException($"redis-cli {string.Join(' ', args)} failed: {result.StdOut}{result.StdErr}");
        return result.StdOut;
    }

    private static IReadOnlyList<int> FreePorts(int count)
    {
        // Cluster nodes also listen on port + 10000 (the cluster bus): pick ports whose bus port is free as well.
        var ports = new List<int>();
        var held = new List<TcpListener>();
        try
        {
            while (ports.Count < count)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                held.Add(listener);
                if (port > 55000) continue;
                try
                {
                    var bus = new TcpListener(IPAddress.Loopback, port + 10000);
                    bus.Start();
                    held.Add(bus);
                    ports.Add(port);
                }
                catch (SocketException)
                {
                    // Bus port taken: try another.
                }
            }
        }
        finally
        {
            foreach (TcpListener l in held) l.Stop();
        }

        return ports;
    }
}

/// <summary>One line of CLUSTER NODES.</summary>
public sealed record ClusterNode(string Id, int Port, bool IsPrimary, bool Failed, string? PrimaryId, string[] Slots)
{
    public bool Serves(int slot) => Slots.Any(range =>
    {
        if (range.StartsWith('[')) return false; // a slot being migrated
        string[] bounds = range.Split('-');
        int low = int.Parse(bounds[0]);
        int high = bounds.Length > 1 ? int.Parse(bounds[1]) : low;
        return slot >= low && slot <= high;
    });
}
