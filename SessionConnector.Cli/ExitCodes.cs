namespace SessionConnector.Cli;

/// <summary>The process exit codes, as documented in <c>sessionctl --help</c> and docs/operations.md.</summary>
internal static class ExitCodes
{
    /// <summary>Done; nothing left to report.</summary>
    public const int Ok = 0;

    /// <summary>Done, but records need attention: verify found failing records still present, rotate left records it could not re-seal, inspect could not open the record.</summary>
    public const int Findings = 1;

    /// <summary>Bad command line: unknown verb or option, missing or malformed value, a refused unsafe request.</summary>
    public const int Usage = 2;

    /// <summary>inspect / delete ID: no live session with that ID.</summary>
    public const int NotFound = 3;

    /// <summary>No keys, an unreadable or too permissive keys file, or a malformed key list.</summary>
    public const int Keys = 4;

    /// <summary>The store failed: missing directory, I/O error, Redis unreachable, or a backend without maintenance support.</summary>
    public const int Store = 5;

    /// <summary>Interrupted (Ctrl+C); the changes made so far stay and a rerun continues.</summary>
    public const int Interrupted = 130;
}
