using System;
using System.Diagnostics;
using System.IO;

namespace SessionConnector.Tests.Support;

/// <summary>Starts this test assembly as a child process in worker mode.</summary>
public static class WorkerProcess
{
    public static Process Start(params string[] args)
    {
        string assembly = typeof(TestWorker).Assembly.Location;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add("--runtimeconfig");
        info.ArgumentList.Add(Path.ChangeExtension(assembly, ".runtimeconfig.json"));
        info.ArgumentList.Add(assembly);
        info.ArgumentList.Add("worker");
        foreach (string a in args) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start worker");
    }
}
