using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Threading.Tasks;

namespace SessionConnector.Cli.Tests.Infrastructure;

/// <summary>What a process printed and returned.</summary>
public sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    public JsonElement Json => JsonDocument.Parse(StdOut).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{StdOut}\nstderr:\n{StdErr}";
}

/// <summary>Runs the real built sessionctl (<c>dotnet exec sessionctl.dll</c>) and the application writer processes.</summary>
public static class Sessionctl
{
    public static readonly string Assembly = typeof(Sessionctl).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CliAssembly").Value!;

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>Runs sessionctl with <paramref name="keys"/> in SESSIONCONNECTOR_KEYS (none when null).</summary>
    public static CliResult Run(string? keys, params string[] args) => Wait(Start(keys, args));

    public static Process Start(string? keys, params string[] args)
    {
        if (!File.Exists(Assembly)) throw new InvalidOperationException($"sessionctl was not built at {Assembly}.");
        return StartDotnet(keys, [Assembly, .. args]);
    }

    /// <summary>Starts this test assembly as an application writer (see <see cref="AppWriter"/>).</summary>
    public static Process StartWriter(string keys, params string[] args)
    {
        string self = typeof(Sessionctl).Assembly.Location;
        return StartDotnet(keys, ["--runtimeconfig", Path.ChangeExtension(self, ".runtimeconfig.json"), self, "writer", .. args]);
    }

    public static CliResult Wait(Process process)
    {
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"process did not finish within {Timeout}: {stderr.Result}");
            }

            return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>Runs a writer to completion and returns its stdout lines; fails the test on a non-zero exit.</summary>
    public static string[] RunWriter(string keys, params string[] args)
    {
        CliResult r = Wait(StartWriter(keys, args));
        if (r.ExitCode != 0) throw new InvalidOperationException("writer failed: " + r);
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static Process StartDotnet(string? keys, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("SESSIONCONNECTOR_KEYS");
        if (keys is not null) info.Environment["SESSIONCONNECTOR_KEYS"] = keys;
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
    }
}
