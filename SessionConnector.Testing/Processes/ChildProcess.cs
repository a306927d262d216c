using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading.Tasks;

namespace SessionConnector.Testing.Processes;

/// <summary>
/// The one way the test projects start second processes: this test assembly as a worker
/// (<c>dotnet exec X.Tests.dll worker MODE ARGS</c>, dispatched by the assembly's own Main) or another program,
/// with redirected stdio and stderr captured for failure messages.
/// </summary>
/// <remarks>
/// Lives in the shared SessionConnector.Testing library, so it cannot tell which test assembly loaded it: each test
/// project that runs workers names itself once in <see cref="WorkerAssembly"/> (its Support/WorkerRegistration.cs) and
/// <see cref="StartWorker(string, string[])"/> starts that assembly.
/// </remarks>
public sealed class ChildProcess : IDisposable
{
    /// <summary>The first argument that makes a test assembly's Main run a worker mode instead of the tests.</summary>
    public const string WorkerVerb = "worker";

    // Enough for any stack trace; a chatty child cannot grow the test process without bound.
    private const int MaxErrorChars = 1 << 20;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    private static string? s_workerAssembly;

    private readonly Process _process;
    private readonly StringBuilder _errors = new();
    private readonly bool _discardOutput;

    private ChildProcess(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment, bool discardOutput)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) info.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach ((string name, string? value) in environment)
            {
                // null removes an inherited variable, so a test controls exactly what the child sees.
                if (value is null) info.Environment.Remove(name);
                else info.Environment[name] = value;
            }
        }

        _discardOutput = discardOutput;
        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_errors)
            {
                _errors.AppendLine(e.Data);
                if (_errors.Length > MaxErrorChars) _errors.Remove(0, _errors.Length - MaxErrorChars);
            }
        };
        _process.BeginErrorReadLine();
        // A long-running server's log must be drained, or it blocks once the pipe is full.
        if (discardOutput)
        {
            _process.OutputDataReceived += static (_, _) => { };
            _process.BeginOutputReadLine();
        }
    }

    /// <summary>
    /// The body of a test assembly's Main: <c>worker MODE ARGS</c> goes to <paramref name="run"/> (all arguments, the mode
    /// at index 1), which returns the exit code, or null for a mode it does not know.
    /// </summary>
    public static int WorkerMain(string[] args, Func<string[], int?> run)
    {
        if (args.Length < 2 || args[0] != WorkerVerb)
        {
            Console.Error.WriteLine($"usage: {WorkerVerb} <mode> ...");
            return 2;
        }

        int? exitCode = run(args);
        if (exitCode is null) Console.Error.WriteLine("unknown worker mode " + args[1]);
        return exitCode ?? 2;
    }

    /// <summary>
    /// The path of the test assembly that <see cref="StartWorker(string, string[])"/> runs: set by that assembly's module
    /// initializer, which runs before any of its tests (and before its Main in a worker).
    /// </summary>
    public static string WorkerAssembly
    {
        get => s_workerAssembly ?? throw new InvalidOperationException(
            "No test assembly registered as the worker: link SessionConnector.Testing/Linked/WorkerRegistration.cs (a [ModuleInitializer] that sets ChildProcess.WorkerAssembly) into the test project.");
        set => s_workerAssembly = value;
    }

    /// <summary>Starts this test assembly in worker mode <paramref name="mode"/>.</summary>
    public static ChildProcess StartWorker(string mode, params string[] args) => StartWorker(null, mode, args);

    /// <summary>Starts this test assembly in worker mode <paramref name="mode"/> with <paramref name="environment"/> changes (null values remove).</summary>
    public static ChildProcess StartWorker(IReadOnlyDictionary<string, string?>? environment, string mode, params string[] args)
    {
        string self = WorkerAssembly;
        return StartDotnet(environment, ["--runtimeconfig", Path.ChangeExtension(self, ".runtimeconfig.json"), self, WorkerVerb, mode, .. args]);
    }

    /// <summary>Runs <c>dotnet exec ARGS</c> (a built program's dll, say) with the host that runs the tests.</summary>
    public static ChildProcess StartDotnet(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        Start(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", ["exec", .. args], environment);

    /// <summary>
    /// Starts <paramref name="program"/> (a system tool, redis-server …); with <paramref name="discardOutput"/> its stdout
    /// is read and dropped (a server's log) instead of kept for <see cref="ReadLine"/> and <see cref="WaitForExit"/>.
    /// </summary>
    public static ChildProcess Start(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, bool discardOutput = false) =>
        new(program, args, environment, discardOutput);

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The tail of what the child wrote to stderr so far (an unhandled exception, say).</summary>
    public string StandardError
    {
        get
        {
            lock (_errors) return _errors.ToString();
        }
    }

    /// <summary>Writes one line to the child's stdin; a clear error (with its stderr) when the child is gone.</summary>
    public void Send(string line)
    {
        try
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"The child process is gone ({Describe()}); its stderr:\n{StandardError}", e);
        }
    }

    /// <summary>Closes the child's stdin, so a child that reads it to the end gets the end.</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>The next line of the child's stdout, or null at its end.</summary>
    public string? ReadLine(TimeSpan timeout)
    {
        Task<string?> line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeout)) throw new TimeoutException($"The child process did not answer in {timeout} ({Describe()}); its stderr:\n{StandardError}");
        return line.Result;
    }

    /// <summary>Sends one request line and returns the one-line answer.</summary>
    public string Ask(string request, TimeSpan timeout)
    {
        Send(request);
        return ReadLine(timeout) ?? throw new InvalidOperationException($"The child process closed its output ({Describe()}); its stderr:\n{StandardError}");
    }

    /// <summary>Kills the child and its descendants at once (SIGKILL: no finally blocks, no flushes) and reaps it.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>Waits for the child to exit and returns what it printed; kills it and throws after <paramref name="timeout"/> (3 minutes by default).</summary>
    public ChildResult WaitForExit(TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? DefaultTimeout;
        Task<string> stdout = _discardOutput ? Task.FromResult("") : _process.StandardOutput.ReadToEndAsync();
        if (!_process.WaitForExit(limit))
        {
            Kill();
            throw new TimeoutException($"The child process did not finish within {limit}; its stderr:\n{StandardError}");
        }

        // The parameterless wait also waits for the asynchronous stderr reader to reach the end.
        _process.WaitForExit();
        return new ChildResult(_process.ExitCode, stdout.Result, StandardError);
    }

    /// <summary>Waits for the child and fails with its exit code and stderr unless it exited with 0.</summary>
    public ChildResult WaitForSuccess(TimeSpan? timeout = null)
    {
        ChildResult result = WaitForExit(timeout);
        if (result.ExitCode != 0) throw new InvalidOperationException("child process failed: " + result);
        return result;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped: nothing left to stop.
        }

        _process.Dispose();
    }

    private string Describe() => _process.HasExited ? $"exit code {_process.ExitCode}" : "still running";
}
