using System;
using System.Diagnostics;
using System.IO;
using Npgsql;

namespace SessionConnector.Testing.Servers;

/// <summary>
/// A real PostgreSQL server owned by the tests: initdb in a temp folder and pg_ctl on a free loopback port, through
/// scripts/postgres-test-server.sh (which runs them as the postgres OS user when the tests run as root). Stopped on
/// dispose; restartable mid-test with its data kept.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _script;
    private readonly string _directory;
    private NpgsqlDataSource? _admin;
    private bool _running;

    public PostgresServer()
    {
        _script = FindScript();
        _directory = Directory.CreateTempSubdirectory("sc-pg-").FullName;
        // The server runs as another OS user when the tests run as root: it must be able to reach its data folder.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        Port = LoopbackPorts.Free();
        Start();
    }

    public int Port { get; }

    /// <summary>Trust authentication on loopback; a pool large enough for the model test's many storages.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=5;Maximum Pool Size=250";

    /// <summary>A data source for raw SQL in assertions.</summary>
    public NpgsqlDataSource Admin => _admin ??= new NpgsqlSlimDataSourceBuilder(ConnectionString).Build();

    public void Start()
    {
        Run("start", Path.Combine(_directory, "pg"), Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _running = true;
    }

    /// <summary>Stops the server; <paramref name="immediate"/> kills it without a clean shutdown (as a crash would).</summary>
    public void Stop(bool immediate = false)
    {
        if (!_running) return;
        Run("stop", Path.Combine(_directory, "pg"), immediate ? "immediate" : "fast");
        _running = false;
    }

    public void Dispose()
    {
        _admin?.Dispose();
        Stop(immediate: true);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private void Run(params string[] arguments)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(_script);
        foreach (string a in arguments) info.ArgumentList.Add(a);
        using Process process = Process.Start(info)!;
        string error = process.StandardError.ReadToEndAsync().GetAwaiter().GetResult();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000)) throw new InvalidOperationException($"postgres-test-server.sh {string.Join(' ', arguments)} did not finish in 60 s.");
        if (process.ExitCode != 0) throw new InvalidOperationException($"postgres-test-server.sh {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
    }

    private static string FindScript()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "scripts", "postgres-test-server.sh");
            if (File.Exists(candidate)) return candidate;
        }

        throw new InvalidOperationException("scripts/postgres-test-server.sh was not found above the test folder.");
    }
}
