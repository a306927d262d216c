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
