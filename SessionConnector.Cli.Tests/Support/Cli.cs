using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;

namespace SessionConnector.Cli.Tests.Support;

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

    /// <summary>Runs sessionctl with <paramref name="keys"/> in SESSIONCONNECTOR_KEYS (none when null) and an empty stdin.</summary>
    public static CliResult Run(string? keys, params string[] args) => RunWithInput(keys, "", args);

    /// <summary>Runs sessionctl with <paramref name="input"/> on its stdin (session IDs, one a line).</summary>
    public static CliResult RunWithInput(string? keys, string input, params string[] args) => RunWithEnvironment(Keys(keys), input, args);

    /// <summary>Runs sessionctl with exactly <paramref name="environment"/> (null values remove inherited variables).</summary>
    public static CliResult RunWithEnvironment(Dictionary<string, string?> environment, string input, params string[] args)
    {
        ChildProcess process = Start(environment, args);
        if (input.Length > 0) process.Send(input);
        process.CloseInput();
        return Wait(process);
    }

    public static ChildProcess Start(string? keys, params string[] args) => Start(Keys(keys), args);

    private static ChildProcess Start(Dictionary<string, string?> environment, string[] args)
    {
        if (!File.Exists(Assembly)) throw new InvalidOperationException($"sessionctl was not built at {Assembly}.");
        environment.TryAdd("SESSIONCTL_REDIS", null); // never inherited either
        return ChildProcess.StartDotnet(environment, [Assembly, .. args]);
    }

    /// <summary>Starts this test assembly as an application writer (see <see cref="AppWriter"/>): <c>worker populate|update …</c>.</summary>
    public static ChildProcess StartWriter(string keys, string mode, params string[] args) => ChildProcess.StartWorker(Keys(keys), mode, args);

    public static CliResult Wait(ChildProcess process)
    {
        using (process)
        {
            ChildResult r = process.WaitForExit();
            return new CliResult(r.ExitCode, r.StdOut, r.StdErr);
        }
    }

    /// <summary>Runs a writer to completion and returns its stdout lines; fails the test on a non-zero exit.</summary>
    public static string[] RunWriter(string keys, string mode, params string[] args)
    {
        using ChildProcess writer = StartWriter(keys, mode, args);
        return writer.WaitForSuccess().StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>SESSIONCONNECTOR_KEYS exactly as given: never inherited from the test process.</summary>
    public static Dictionary<string, string?> Keys(string? keys) => new() { ["SESSIONCONNECTOR_KEYS"] = keys };
}
