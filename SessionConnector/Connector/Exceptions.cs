using System;

namespace SessionConnector;

/// <summary>
/// Misuse of the connector: used before <see cref="Sessions.Configure"/>, configured twice with different
/// storage kinds, or used after close. (The seed's <c>SessionStorageConnectorError</c>.)
/// </summary>
public sealed class SessionStorageConnectorException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public SessionStorageConnectorException(string message) : base(message) { }
}

/// <summary>A session ID that is empty, too long or contains characters outside the allowed set.</summary>
public sealed class InvalidSessionIdException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public InvalidSessionIdException(string message) : base(message, "sessionId") { }
}

/// <summary>
/// An atomic update could not be applied after the configured number of compare-and-set retries because
/// other writers kept changing the same session. Nothing was written by the failed call.
/// </summary>
public sealed class SessionConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SessionConflictException(string message) : base(message) { }
}

/// <summary>
/// The storage backend failed (I/O error, disk full, server unreachable). The previous record is intact.
/// </summary>
public sealed class SessionStorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SessionStorageException(string message, Exception? inner = null) : base(message, inner) { }
}
