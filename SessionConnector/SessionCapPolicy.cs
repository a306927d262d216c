namespace SessionConnector;

/// <summary>What binding a session does when its principal already holds the most sessions allowed (<see cref="SessionConnectorOptions.MaxSessionsPerPrincipal"/>).</summary>
public enum SessionCapPolicy
{
    /// <summary>The new binding is refused (the bind returns false); the existing sessions stay. The default.</summary>
    RefuseNew,

    /// <summary>The principal's oldest sessions (by sign-in time) end to make room for the new one.</summary>
    EndOldest,
}
