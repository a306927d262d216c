using System;

namespace SessionConnector;

/// <summary>
/// An atomic update could not be applied after the configured number of compare-and-set retries because
/// other writers kept changing the same session. Nothing was written by the failed call.
/// </summary>
public sealed class SessionConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SessionConflictException(string message) : base(message) { }
}
