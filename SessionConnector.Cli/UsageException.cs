using System;

namespace SessionConnector.Cli;

/// <summary>A command-line problem, reported on stderr with exit code <see cref="ExitCodes.Usage"/> (or the code given).</summary>
internal sealed class UsageException(string message, int exitCode = ExitCodes.Usage) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
