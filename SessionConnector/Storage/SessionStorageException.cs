using System;

namespace SessionConnector.Storage;

/// <summary>
/// The storage backend failed (I/O error, disk full, server unreachable). The previous record is intact.
/// </summary>
public sealed class SessionStorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SessionStorageException(string message, Exception? inner = null) : base(message, inner) { }
}
