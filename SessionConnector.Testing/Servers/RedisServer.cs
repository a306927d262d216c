using System;
using System.Diagnostics;
using SessionConnector.Testing.Processes;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using StackExchange.Redis;

namespace SessionConnector.Testing.Servers;

/// <summary>
/// A real redis-server owned by the tests: started as a child process on a free loopback port with persistence off,
/// stopped on dispose, and restartable mid-test. An explicit SHUTDOWN SAVE keeps data across a restart.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private readonly string _executable;
    private readonly string _directory;
    private ChildProcess? _process;
    private ConnectionMultiplexer? _admin;

    public RedisServer()
    {
        _executable = FindExecutable()
            ?? throw new InvalidOperationException(
                "redis-server is not installed (not found on PATH or in SESSIONCONNECTOR_REDIS_SERVER). Install it with `bash scripts/redis-test-server.sh --install` (Debian: apt-get install -y redis-server).");
        _directory = Directory.CreateTempSubdirectory("sc-redis-").FullName;
        Port = LoopbackPorts.Free();
        Start();
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>An admin connection (CLIENT KILL, SCAN, PTTL); it reconnects by itself after a restart.</summary>
    public ConnectionMultiplexer Admin => _admin ??= ConnectionMultiplexer.Connect($"{Endpoint},allowAdmin=true,abortConnect=false,connectTimeout=2000,syncTimeout=5000");

    public IDatabase Db => Admin.GetDatabase();

    public IServer Server => Admin.GetServer(Endpoint);

    public void Start()
    {
        _process = ChildProcess.Start(_executable,
            ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory, "--daemonize", "no", "--protected-mode", "no"],
            discardOutput: true);

        var deadline = Stopwatch.StartNew();
        while (!Ping())
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} on port {Port}: {_process.StandardError}");
            if (deadline.Elapsed > TimeSpan.FromSeconds(10)) throw new InvalidOperationException($"redis-server did not answer PING on port {Port} within 10 s.");
            Thread.Sleep(20);
        }
    }

    /// <summary>Stops the server: SHUTDOWN SAVE keeps the data for the next <see cref="Start"/>; otherwise it is killed.</summary>
    public void Stop(bool save)
    {
        if (_process is null) return;
        if (save)
        {
            Send("SHUTDOWN SAVE\r\n");
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _process.Dispose(); // kills it unless it has exited
        _process = null;
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open and commands get no answer, as with a stalled host.</summary>
    public void Pause() => Signal("-STOP");

    /// <summary>Lets a paused server run again (SIGCONT).</summary>
    public void Resume() => Signal("-CONT");

    private void Signal(string signal)
    {
        using ChildProcess kill = ChildProcess.Start("kill", [signal, _process!.Id.ToString()]);
        kill.WaitForSuccess(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        _admin?.Dispose();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private bool Ping() => Send("PING\r\n")?.StartsWith("+PONG", StringComparison.Ordinal) == true;

    private string? Send(string command)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            NetworkStream stream = client.GetStream();
            stream.Write(Encoding.ASCII.GetBytes(command));
            stream.ReadTimeout = 5000;
            var buffer = new byte[64];
            int read = stream.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null;
        }
    }


    internal static string? FindExecutable()
    {
        string? configured = Environment.GetEnvironmentVariable("SESSIONCONNECTOR_REDIS_SERVER");
        if (!string.IsNullOrEmpty(configured)) return File.Exists(configured) ? configured : null;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate)) return candidate;
        }

        foreach (string candidate in new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" })
        {
            if (File.Exists(candidate)) return candidate;
        }

        return null;
    }
}
