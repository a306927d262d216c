using System;

namespace SessionConnector;

/// <summary>Lifetime rules a <see cref="SessionStore{T}"/> enforces on the server.</summary>
public sealed class SessionStoreOptions
{
    /// <summary>Absolute lifetime from creation (default 1 day); no activity extends a session past it. Null: no cap.</summary>
    public TimeSpan? Lifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Optional idle (sliding) timeout: a session not used for this long expires, even within its lifetime.</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>
    /// What <see cref="SessionStore{T}.Commit"/> does when another request committed this session after this one
    /// loaded it. Default: <see cref="SessionConflictPolicy.Merge"/>.
    /// </summary>
    public SessionConflictPolicy ConflictPolicy { get; set; } = SessionConflictPolicy.Merge;

    /// <summary>
    /// Under <see cref="SessionConflictPolicy.Merge"/>, decides members both requests changed to different values
    /// (keep mine, keep theirs, or reject). Null (the default): such a commit returns
    /// <see cref="SessionCommitResult.Conflict"/> and <see cref="SessionStore{T}.Conflicts"/> names the members.
    /// </summary>
    public SessionConflictResolver? ConflictResolver { get; set; }

    /// <summary>
    /// How many compare-and-set writes one <see cref="SessionStore{T}.Commit"/> tries before it gives up with
    /// <see cref="SessionCommitResult.Conflict"/> (default 16; each retry follows another request's successful write).
    /// </summary>
    public int MaxMergeAttempts { get; set; } = 16;
}
