using System;

namespace SessionConnector;

/// <summary>What <see cref="SessionStore{T}.Commit"/> did.</summary>
public enum SessionCommitResult
{
    /// <summary>Nothing to write: not loaded, not modified, no expiry to slide.</summary>
    Unchanged,

    /// <summary>Written.</summary>
    Saved,

    /// <summary>
    /// Not written: another request changed the session after this one loaded it and the changes could not be combined
    /// (both changed the same members, named in <see cref="SessionStore{T}.Conflicts"/>; or the policy is
    /// <see cref="SessionConflictPolicy.Reject"/>). Nothing was overwritten; reload and reapply, or use
    /// <see cref="SessionStorageConnector.Update{T}(string, Func{T, T})"/> for atomic changes.
    /// </summary>
    Conflict,

    /// <summary>Not written: the session was deleted (e.g. a logout) after this request loaded it. It stays deleted.</summary>
    Deleted,
}
