using System;

namespace SessionConnector.Storage;

/// <summary>
/// The storage backend failed (I/O error, disk full, server unreachable, folder gone) or did not answer within the
/// connector's <see cref="SessionConnectorOptions.StorageTimeout"/>. The previous record is intact. The connector turns
/// whatever a backend throws into this type (see docs/storage.md), so an application handles one type: the web package
/// answers 503.
/// </summary>
public sealed class SessionStorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SessionStorageException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>The backend's <see cref="SessionStorage.Kind"/> ("file", "redis", a custom name), when the connector knows it.</summary>
    public string? StorageKind { get; init; }

    /// <summary>The storage operation that failed ("read", "write", "delete", "clear", "flush"), when known.</summary>
    public string? Operation { get; init; }

    /// <summary>True when the operation failed because it ran out of time (the backend's own timeout or the connector's).</summary>
    public bool IsTimeout { get; init; }
}
