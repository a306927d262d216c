using System;

namespace SessionConnector;

/// <summary>
/// Decides a true conflict during a merge: a member that this request and another one both changed, to different
/// values. Called once per such member, on the committing thread; keep it fast and side-effect free (a commit may merge
/// more than once when it races several requests).
/// </summary>
/// <param name="sessionType">The session data type being merged.</param>
/// <param name="member">The member's path, e.g. <c>Level</c>, <c>Profile.Name</c> or <c>Scores[alice]</c>.</param>
/// <returns>Which value to keep, or <see cref="SessionConflictResolution.Reject"/>.</returns>
public delegate SessionConflictResolution SessionConflictResolver(Type sessionType, string member);
