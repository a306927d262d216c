using System;

namespace SessionConnector;

/// <summary>
/// The one exception a session reader throws for bytes it cannot decode: truncated, malformed,
/// type-mismatched or oversized input. The connector turns it into "absent" and removes the record.
/// </summary>
public sealed class SessionFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SessionFormatException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the decoder's own error.</summary>
    public SessionFormatException(string message, Exception inner) : base(message, inner) { }
}
