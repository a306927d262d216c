using System;

namespace SessionConnector;

/// <summary>A session ID that is empty, too long or contains characters outside the allowed set.</summary>
public sealed class InvalidSessionIdException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public InvalidSessionIdException(string message) : base(message, "sessionId") { }
}
