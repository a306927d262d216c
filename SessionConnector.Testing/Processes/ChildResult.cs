namespace SessionConnector.Testing.Processes;

/// <summary>What a child process printed and returned.</summary>
public sealed record ChildResult(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{StdOut}\nstderr:\n{StdErr}";
}
