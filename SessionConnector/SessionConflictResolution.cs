namespace SessionConnector;

/// <summary>What a <see cref="SessionConflictResolver"/> decides for one member both requests changed differently.</summary>
public enum SessionConflictResolution
{
    /// <summary>Do not write; the commit reports <see cref="SessionCommitResult.Conflict"/> naming the member.</summary>
    Reject,

    /// <summary>Keep this request's value.</summary>
    KeepMine,

    /// <summary>Keep the value the other request committed.</summary>
    KeepTheirs,
}
