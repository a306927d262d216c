using System;

namespace SessionConnector;

/// <summary>
/// One live session of a principal, as listed for "your active sessions": an id-free handle (a keyed hash, never the
/// session ID, so a list shown to a user or an admin cannot be used to take a session over), times and the app's label.
/// </summary>
public sealed class PrincipalSession
{
    internal PrincipalSession(string handle, DateTimeOffset createdAt, DateTimeOffset lastSeenAt, DateTimeOffset? expiresAt, string? label, bool isCurrent)
    {
        IsCurrent = isCurrent;
        Handle = handle;
        CreatedAt = createdAt;
        LastSeenAt = lastSeenAt;
        ExpiresAt = expiresAt;
        Label = label;
    }

    /// <summary>Names the session for <see cref="SessionStorageConnector.EndPrincipalSession"/>; stable for the session's life.</summary>
    public string Handle { get; }

    /// <summary>When the session was bound to the principal (the sign-in).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The last time the session was bound or its binding refreshed (sign-in or renewal; not every request).</summary>
    public DateTimeOffset LastSeenAt { get; }

    /// <summary>When the session expires as stored now (null: no expiry).</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>True for the session the list was asked from (<see cref="SessionStorageConnector.ListSessionsOfSamePrincipalAsync"/>).</summary>
    public bool IsCurrent { get; }

    /// <summary>The label the app gave at binding (e.g. "Firefox on Linux"), or null.</summary>
    public string? Label { get; }
}
