using System;
using System.Collections.Generic;
using System.ComponentModel;

namespace SessionConnector;

/// <summary>
/// State of one three-way merge (<see cref="ISessionData{TSelf}.Merge"/>): the member path being merged, the
/// resolver, and the members that stayed in conflict. Created by the runtime; generated code only calls into it.
/// </summary>
public sealed class SessionMergeContext
{
    private readonly SessionConflictResolver? _resolver;
    private readonly Type _sessionType;
    private List<string>? _conflicts;
    private string _prefix = string.Empty;

    /// <summary>Creates a context for merging a <paramref name="sessionType"/> value.</summary>
    /// <param name="sessionType">The session type, passed to <paramref name="resolver"/>.</param>
    /// <param name="resolver">Decides true conflicts; null rejects them all.</param>
    public SessionMergeContext(Type sessionType, SessionConflictResolver? resolver = null)
    {
        ArgumentNullException.ThrowIfNull(sessionType);
        _sessionType = sessionType;
        _resolver = resolver;
    }

    /// <summary>The members (paths) both sides changed to different values and the resolver did not settle.</summary>
    public IReadOnlyList<string> Conflicts => (IReadOnlyList<string>?)_conflicts ?? Array.Empty<string>();

    /// <summary>True when at least one member stayed in conflict: the merged value must not be written.</summary>
    public bool HasConflicts => _conflicts is { Count: > 0 };

    /// <summary>For use by generated code: enters a nested member; pass the result to <see cref="Exit"/>.</summary>
    /// <param name="member">The member's name.</param>
    /// <returns>The previous path prefix.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public string Enter(string member)
    {
        string saved = _prefix;
        _prefix = saved + member + ".";
        return saved;
    }

    /// <summary>For use by generated code: leaves a nested member entered with <see cref="Enter"/>.</summary>
    /// <param name="saved">What <see cref="Enter"/> returned.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Exit(string saved) => _prefix = saved;

    /// <summary>
    /// For use by generated code: both sides changed <paramref name="member"/> to different values. Asks the resolver;
    /// when it rejects (or there is none) records the conflict.
    /// </summary>
    /// <param name="member">The member's name (null: the value being merged as a whole).</param>
    /// <returns>True to keep this request's value, false to keep the other's.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool KeepsMine(string? member)
    {
        string path = member is null
            ? (_prefix.Length > 0 ? _prefix[..^1] : "(value)")
            : _prefix + member;
        SessionConflictResolution choice = _resolver?.Invoke(_sessionType, path) ?? SessionConflictResolution.Reject;
        if (choice == SessionConflictResolution.KeepMine) return true;
        if (choice != SessionConflictResolution.KeepTheirs) (_conflicts ??= new List<string>()).Add(path);
        return false;
    }

    /// <summary>For use by generated code: resolves a true conflict on <paramref name="member"/> (see <see cref="KeepsMine"/>).</summary>
    /// <typeparam name="T">The member's type.</typeparam>
    /// <param name="member">The member's name (null: the value as a whole).</param>
    /// <param name="mine">This request's value.</param>
    /// <param name="theirs">The other request's value (also kept while the conflict stands: nothing is written then).</param>
    /// <returns>The value to keep.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public T Conflict<T>(string? member, T mine, T theirs) => KeepsMine(member) ? mine : theirs;
}
