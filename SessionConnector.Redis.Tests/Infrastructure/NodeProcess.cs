using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;

namespace SessionConnector.Redis.Tests.Infrastructure;

/// <summary>A second node in its own process (SessionConnector.Redis.Tests.Node), driven line by line.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _errors = new();

    public NodeProcess(string endpoint, string prefix, byte[] secret, int waitForReplicas = 0)
    {
        string node = typeof(NodeProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NodeAssembly").Value!;
        if (!File.Exists(node)) throw new InvalidOperationException($"The helper node was not built: {node}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(node);
        start.ArgumentList.Add(endpoint);
        start.ArgumentList.Add(prefix);
        start.ArgumentList.Add(Convert.ToHexString(secret));
        start.ArgumentList.Add(waitForReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _process = Process.Start(start) ?? throw new InvalidOperationException("The helper node did not start.");
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_errors)
            {
                _errors.AppendLine(e.Data);
                if (_errors.Length > 8000) _errors.Remove(0, _errors.Length - 8000);
            }
        };
        _process.BeginErrorReadLine();
        string? ready = ReadLine(TimeSpan.FromSeconds(30));
        if (ready != "ready") throw new InvalidOperationException($"The helper node said '{ready}' instead of 'ready'.");
    }

    public void Send(string command)
    {
        try
        {
            _process.StandardInput.WriteLine(command);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"The helper node is gone (exit code {(_process.HasExited ? _process.ExitCode : -1)}); its stderr:\n{StandardError}", e);
        }
    }

    /// <summary>The tail of what the helper node wrote to stderr (an unhandled exception, say).</summary>
    public string StandardError
    {
        get
        {
            lock (_errors) return _errors.ToString();
        }
    }

    public string Ask(string command)
    {
        Send(command);
        return ReadLine(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("The helper node closed its output.");
    }

    public string? ReadLine(TimeSpan timeout)
    {
        Task<string?> line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeout)) throw new TimeoutException("The helper node did not answer in time.");
        return line.Result;
    }

    public void Dispose()
    {
        try
        {
            Send("quit");
            if (!_process.WaitForExit(5000)) _process.Kill();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            if (!_process.HasExited) _process.Kill();
        }

        _process.Dispose();
    }
}
