namespace SessionConnector;

/// <summary>How <see cref="SessionStore{T}"/> resolves a commit that lost a compare-and-set to another request.</summary>
public enum SessionConflictPolicy
{
    /// <summary>
    /// Re-read the session, merge this request's changes into it member by member (a <c>[SessionData]</c> type's
    /// generated three-way merge) and retry; only changes of the same member to different values are a conflict.
    /// </summary>
    Merge,

    /// <summary>Write nothing and report <see cref="SessionCommitResult.Conflict"/>.</summary>
    Reject,

    /// <summary>Overwrite the newer write with this request's data (a deleted session still stays deleted).</summary>
    LastWriterWins,
}
