using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Storage;

namespace SessionConnector;

/// <summary>
/// One request's view of one session (the seed's <c>SessionStore</c>): loaded lazily on first access, saved on
/// <see cref="Commit"/> only when loaded and changed (or when its idle expiry needs sliding), with absolute and idle
/// expiry enforced on the server, <see cref="CycleId"/> against fixation and <see cref="Destroy"/> for logout.
/// Not thread-safe: one instance per request.
/// </summary>
/// <typeparam name="T">The session data type (a <c>[SessionData]</c> type or <see cref="SessionBag"/>).</typeparam>
public sealed class SessionStore<T> where T : ISessionData<T>
{
    private readonly SessionStorageConnector _connector;
    private readonly SessionStoreOptions _options;
    private string _id;
    private T? _data;
    private byte[]? _loadedFingerprint;
    private long _version;
    private DateTimeOffset? _expiresAt;
    private DateTimeOffset? _absoluteExpiresAt;
    private bool _modified;

    // The principal this session is bound to (null when unbound): loaded with the record and sealed again by every commit.
    private Serialization.PrincipalStamp? _principal;

    // Set by BindPrincipal until the bound session is written and indexed (the index needs the final ID, after CycleId).
    private bool _indexPending;
    private string? _label;

    /// <summary>Creates the request's session object; nothing is read until the data is first used.</summary>
    /// <param name="sessionId">The ID the client presented (e.g. from a cookie), or null for none.</param>
    /// <param name="options">Lifetime rules; defaults to a 1-day absolute lifetime and no idle timeout.</param>
    /// <param name="connector">The connector; defaults to <see cref="Sessions.Connector"/>.</param>
    public SessionStore(string? sessionId, SessionStoreOptions? options = null, SessionStorageConnector? connector = null)
    {
        _connector = connector ?? Sessions.Connector;
        _options = options ?? new SessionStoreOptions();
        if (_options.Lifetime is { } l && l <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "Lifetime must be positive.");
        if (_options.IdleTimeout is { } i && i <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "IdleTimeout must be positive.");
        if (sessionId is not null) SessionIds.Validate(sessionId);
        _id = sessionId ?? SessionIds.Generate();
        IsNew = sessionId is null;
    }

    /// <summary>
    /// The session ID to send to the client. It changes when the presented ID matched no live session (a fresh ID is
    /// issued rather than adopting one the client chose) and on <see cref="CycleId"/>.
    /// </summary>
    public string Id => _id;

    /// <summary>True when no stored session backs this object (none was presented, or it was missing or expired).</summary>
    public bool IsNew { get; private set; }

    /// <summary>True once the data has been loaded (or created).</summary>
    public bool IsLoaded { get; private set; }

    /// <summary>True after <see cref="Destroy"/>.</summary>
    public bool IsDestroyed { get; private set; }

    /// <summary>When the session expires as last loaded or saved (null: never).</summary>
    public DateTimeOffset? ExpiresAt => _expiresAt;

    /// <summary>The session data, loaded on first access. Mutations are detected at <see cref="Commit"/>.</summary>
    public T Data
    {
        get
        {
            if (!IsLoaded) Load();
            return _data!;
        }

        set
        {
            if (value is null) throw new ArgumentNullException(nameof(value));
            if (!IsLoaded) Load();
            _data = value;
            _modified = true;
        }
    }

    /// <summary>True when the data differs from what was loaded (compared by its serialized form) or was replaced.</summary>
    public bool IsModified =>
        IsLoaded && !IsDestroyed && (_modified || _loadedFingerprint is null || !_connector.MatchesFingerprint(_data!, _loadedFingerprint));

    /// <summary>True when <see cref="Commit"/> would write: loaded, not destroyed, and modified or due for an idle slide.</summary>
    public bool NeedsUpdate => IsLoaded && !IsDestroyed && (IsModified || SlideDue(_connector.Time.GetUtcNow()));

    /// <summary>Marks the data as changed even if its serialized form is equal (forces a write and an expiry refresh).</summary>
    public void MarkModified() => _modified = true;

    /// <summary>
    /// Binds the session to <paramref name="principalId"/> (a user or account id the application chooses) at the principal's
    /// current revocation generation; the next <see cref="Commit"/> or <see cref="CycleId"/> writes it. Call it at login,
    /// together with <see cref="CycleId"/>. Only a keyed hash of the id is stored, and
    /// <see cref="SessionStorageConnector.SignOutEverywhere"/> ends every session bound to it (see docs/principals.md).
    /// </summary>
    /// <remarks>
    /// Under <see cref="SessionConnectorOptions.MaxSessionsPerPrincipal"/> with <see cref="SessionCapPolicy.RefuseNew"/>, a
    /// commit the cap refuses deletes what it wrote and returns <see cref="SessionCommitResult.Deleted"/>.
    /// </remarks>
    /// <param name="principalId">The user or account id.</param>
    /// <param name="label">Shown when the principal's sessions are listed (e.g. "Firefox on Linux").</param>
    /// <exception cref="ArgumentException"><paramref name="principalId"/> is null, empty or longer than 1,024 characters.</exception>
    public void BindPrincipal(string principalId, string? label = null) =>
        Sync.Wait(BindPrincipalCoreAsync(principalId, label, async: false, CancellationToken.None));

    /// <summary>Async twin of <see cref="BindPrincipal"/>.</summary>
    public ValueTask BindPrincipalAsync(string principalId, string? label = null, CancellationToken cancellationToken = default) =>
        BindPrincipalCoreAsync(principalId, label, async: true, cancellationToken);

    private async ValueTask BindPrincipalCoreAsync(string principalId, string? label, bool async, CancellationToken ct)
    {
        Principals.PrincipalRecords.ValidatePrincipalId(principalId);
        await LoadCoreAsync(async, ct).ConfigureAwait(false);
        _principal = await _connector.StampPrincipalAsync(principalId, async, ct).ConfigureAwait(false);
        _label = label;
        _indexPending = true;
        _modified = true;
    }

    /// <summary>True when the loaded (or newly bound) session is bound to a principal.</summary>
    public bool IsBound => _principal is not null;

    /// <summary>Loads the session now (normally done lazily by <see cref="Data"/>).</summary>
    public void Load() => Sync.Wait(LoadCoreAsync(async: false, CancellationToken.None));

    /// <summary>Async twin of <see cref="Load"/>; call it before touching <see cref="Data"/> in async code.</summary>
    public ValueTask LoadAsync(CancellationToken cancellationToken = default) => LoadCoreAsync(async: true, cancellationToken);

    private async ValueTask LoadCoreAsync(bool async, CancellationToken ct)
    {
        if (IsLoaded) return;
        if (!IsNew)
        {
            (bool found, VersionedSession<T> s) = await _connector.TryLoadVersionedAsync<T>(_id, async, ct).ConfigureAwait(false);
            if (found && !IdleExpired(s))
            {
                Adopt(s);
                return;
            }
        }

        StartNew();
    }

    private bool IdleExpired(in VersionedSession<T> s) =>
        s.ExpiresAt is { } at && at <= _connector.Time.GetUtcNow();

    private void Adopt(in VersionedSession<T> s)
    {
        _data = s.Value;
        _version = s.Version;
        _principal = s.Principal;
        _expiresAt = s.ExpiresAt;
        _absoluteExpiresAt = s.AbsoluteExpiresAt;
        _loadedFingerprint = _connector.Fingerprint(_data);
        IsLoaded = true;
    }

    private void StartNew()
    {
        // Never adopt an ID the client chose that matches no live session: that is how fixation attacks start.
        if (!IsNew) _id = SessionIds.Generate();
        IsNew = true;
        _principal = null;
        _data = T.CreateDefault();
        _version = SessionStorage.Absent;
        DateTimeOffset now = _connector.Time.GetUtcNow();
        _absoluteExpiresAt = _options.Lifetime is { } l ? now + l : null;
        _expiresAt = NextExpiry(now);
        // A new session that is never changed is never written (no empty records for drive-by requests).
        _loadedFingerprint = _connector.Fingerprint(_data);
        IsLoaded = true;
    }

    private DateTimeOffset? NextExpiry(DateTimeOffset now)
    {
        DateTimeOffset? idle = _options.IdleTimeout is { } i ? now + i : null;
        if (idle is null) return _absoluteExpiresAt;
        if (_absoluteExpiresAt is null) return idle;
        return idle < _absoluteExpiresAt ? idle : _absoluteExpiresAt;
    }

    // Refresh the sliding expiry once half the idle window is used, not on every request: fewer writes,
    // and a session still never outlives IdleTimeout without activity.
    private bool SlideDue(DateTimeOffset now) =>
        _options.IdleTimeout is { } idle && _expiresAt is { } at && NextExpiry(now) is { } next && next - at >= idle / 2;

    /// <summary>
    /// The members that stayed in conflict in the last <see cref="Commit"/> or <see cref="CycleId"/> that returned
    /// <see cref="SessionCommitResult.Conflict"/> (paths such as <c>Level</c>, <c>Profile.Name</c>,
    /// <c>Scores[alice]</c>); empty otherwise. Empty with a conflict means the merge was not tried
    /// (<see cref="SessionConflictPolicy.Reject"/>) or <see cref="SessionStoreOptions.MaxMergeAttempts"/> ran out.
    /// </summary>
    public IReadOnlyList<string> Conflicts { get; private set; } = Array.Empty<string>();

    /// <summary>
    /// Writes the session if <see cref="NeedsUpdate"/>; never undoes a delete. When another request committed the
    /// session since this one loaded it, <see cref="SessionStoreOptions.ConflictPolicy"/> decides: by default the
    /// session is re-read, this request's changes are merged into it member by member and the write is retried, and
    /// only members both requests changed to different values are a <see cref="SessionCommitResult.Conflict"/>
    /// (named in <see cref="Conflicts"/>; nothing is written and <see cref="Data"/> still holds this request's values).
    /// </summary>
    /// <remarks>
    /// Commits of one session from this process (any host: console, game server, web) queue on the connector's writer
    /// gate, so each loses its compare-and-set at most to other processes; a commit with nothing to write never queues.
    /// </remarks>
    public SessionCommitResult Commit() => Sync.Result(CommitCoreAsync(async: false, CancellationToken.None));

    /// <summary>Async twin of <see cref="Commit"/>.</summary>
    public ValueTask<SessionCommitResult> CommitAsync(CancellationToken cancellationToken = default) =>
        CommitCoreAsync(async: true, cancellationToken);

    private async ValueTask<SessionCommitResult> CommitCoreAsync(bool async, CancellationToken ct)
    {
        Conflicts = Array.Empty<string>();
        if (!NeedsUpdate) return SessionCommitResult.Unchanged; // reads never queue on the gate below
        Internal.PaddedGate gate = _connector.WriterGate(_id);
        await gate.EnterAsync(async, ct).ConfigureAwait(false);
        try
        {
            return await WriteAsync(async, ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Exit();
        }
    }

    /// <summary>The commit's write and merge loop; the caller checked <see cref="NeedsUpdate"/> and holds the writer gate.</summary>
    private async ValueTask<SessionCommitResult> WriteAsync(bool async, CancellationToken ct)
    {
        int attempts = Math.Max(1, _options.MaxMergeAttempts);
        for (int attempt = 1; ; attempt++)
        {
            DateTimeOffset? expiresAt = NextExpiry(_connector.Time.GetUtcNow());
            VersionedWriteResult<T> written =
                await _connector.WriteVersionedAsync(_id, _data!, _version, expiresAt, _absoluteExpiresAt, async, ct, _principal).ConfigureAwait(false);
            if (written.Outcome == VersionedWrite.Written && _indexPending && _principal is { } principal)
            {
                // Indexed under the cap once written under its final ID; a refused or ended binding is deleted again.
                if (!await _connector.IndexBoundSessionAsync(_id, principal, _label, _absoluteExpiresAt ?? expiresAt, written.NewVersion, async, ct).ConfigureAwait(false))
                {
                    MarkDestroyed();
                    return SessionCommitResult.Deleted;
                }

                _indexPending = false;
            }

            if (written.Outcome != VersionedWrite.Conflict) return Committed(written.Outcome, written.NewVersion, expiresAt);
            if (_options.ConflictPolicy == SessionConflictPolicy.Reject || attempt >= attempts) return SessionCommitResult.Conflict;

            // Lost the compare-and-set: retry on top of what the other request committed (the write hands it back).
            VersionedSession<T> theirs = written.Theirs;
            bool found = written.HasTheirs;
            if (!found) (found, theirs) = await _connector.TryLoadVersionedAsync<T>(_id, async, ct).ConfigureAwait(false);

            // Gone meanwhile (a logout, or expired): a merge never brings a session back.
            if (!found || IdleExpired(theirs)) return SessionCommitResult.Deleted;
            if (!Rebase(theirs)) return SessionCommitResult.Conflict;
        }
    }

    /// <summary>
    /// Moves this request's changes on top of <paramref name="theirs"/> (the policy's way) and adopts its version, so
    /// the next write's compare-and-set expects it. False when true conflicts remain (<see cref="Conflicts"/>).
    /// </summary>
    private bool Rebase(in VersionedSession<T> theirs)
    {
        if (!TryMerge(_loadedFingerprint, theirs.Value, out byte[] theirsFingerprint)) return false;
        _version = theirs.Version;
        // A binding another request committed (its login) survives this request's merge; this request's own binding wins.
        _principal ??= theirs.Principal;
        _loadedFingerprint = theirsFingerprint;
        _modified = true; // written even if the merge equals theirs: the commit was asked for (and may slide the expiry)
        return true;
    }

    /// <summary>Under <see cref="SessionConflictPolicy.Merge"/>, merges <paramref name="theirs"/> into <see cref="Data"/> against the base whose serialized form is <paramref name="baseFingerprint"/>.</summary>
    private bool TryMerge(byte[]? baseFingerprint, T theirs, out byte[] theirsFingerprint)
    {
        theirsFingerprint = _connector.Fingerprint(theirs);
        // LastWriterWins keeps this request's data; and when theirs serializes like the base only the version or
        // expiry moved: nothing to merge either way.
        if (_options.ConflictPolicy != SessionConflictPolicy.Merge ||
            (baseFingerprint is not null && theirsFingerprint.AsSpan().SequenceEqual(baseFingerprint)))
        {
            return true;
        }

        T @base = baseFingerprint is null ? T.CreateDefault() : _connector.DecodeFingerprint<T>(baseFingerprint);
        var context = new SessionMergeContext(typeof(T), _options.ConflictResolver);
        T merged = T.Merge(@base, _data!, theirs, context);
        if (context.HasConflicts)
        {
            Conflicts = context.Conflicts;
            return false;
        }

        _data = merged;
        return true;
    }

    private SessionCommitResult Committed(VersionedWrite outcome, long version, DateTimeOffset? expiresAt)
    {
        switch (outcome)
        {
            case VersionedWrite.Written:
                _version = version;
                _expiresAt = expiresAt;
                _loadedFingerprint = _connector.Fingerprint(_data!);
                _modified = false;
                IsNew = false;
                return SessionCommitResult.Saved;
            case VersionedWrite.Deleted:
                return SessionCommitResult.Deleted;
            default:
                return SessionCommitResult.Conflict;
        }
    }

    /// <summary>
    /// Gives the session a new ID, keeping its data (with this request's changes) and expiry, and deletes the old ID:
    /// call it after login so an ID an attacker planted before login is worthless after it. The old ID is deleted
    /// only at the version this request copied: if another request committed it meanwhile, its change is merged in
    /// (<see cref="SessionConflictPolicy.Merge"/>) and the copy retried. When that cannot be done (true conflicts, named
    /// in <see cref="Conflicts"/>, or <see cref="SessionConflictPolicy.Reject"/>) nothing changes: the new record is
    /// removed, <see cref="Id"/> stays the old one and the result is <see cref="SessionCommitResult.Conflict"/>; after a
    /// logout it is <see cref="SessionCommitResult.Deleted"/>.
    /// </summary>
    /// <returns><see cref="SessionCommitResult.Saved"/> when the session now lives under the new ID.</returns>
    /// <remarks>Queues on the old ID's writer gate, as <see cref="Commit"/> does: the old ID is the one other requests commit to.</remarks>
    public SessionCommitResult CycleId() => Sync.Result(CycleIdCoreAsync(async: false, CancellationToken.None));

    /// <summary>Async twin of <see cref="CycleId"/>.</summary>
    public ValueTask<SessionCommitResult> CycleIdAsync(CancellationToken cancellationToken = default) =>
        CycleIdCoreAsync(async: true, cancellationToken);

    private async ValueTask<SessionCommitResult> CycleIdCoreAsync(bool async, CancellationToken ct)
    {
        await LoadCoreAsync(async, ct).ConfigureAwait(false);
        Internal.PaddedGate gate = _connector.WriterGate(_id);
        await gate.EnterAsync(async, ct).ConfigureAwait(false);
        try
        {
            return await CycleUnderGateAsync(async, ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Exit();
        }
    }

    /// <summary>
    /// The ID cycle; the caller holds the old ID's writer gate. The new ID's writes take no gate: nobody else knows that
    /// ID yet, and its stripe may be the one already held (the gates are not reentrant).
    /// </summary>
    private async ValueTask<SessionCommitResult> CycleUnderGateAsync(bool async, CancellationToken ct)
    {
        Conflicts = Array.Empty<string>();
        string oldId = _id;
        bool stored = !IsNew;
        long copiedVersion = _version;
        byte[]? copiedFingerprint = _loadedFingerprint;
        _id = SessionIds.Generate();
        _version = SessionStorage.Absent;
        _modified = true;
        IsNew = true;
        int attempts = Math.Max(1, _options.MaxMergeAttempts);
        for (int attempt = 1; ; attempt++)
        {
            // Write the new record before deleting the old one, so a crash in between loses nothing.
            Conflicts = Array.Empty<string>();
            SessionCommitResult written = NeedsUpdate ? await WriteAsync(async, ct).ConfigureAwait(false) : SessionCommitResult.Unchanged;
            if (!stored || written != SessionCommitResult.Saved) return written;

            // Delete the old ID only at the version this request copied: a change committed there meanwhile must
            // not be lost with it.
            if (await _connector.TryDeleteAtVersionAsync(oldId, copiedVersion, async, ct).ConfigureAwait(false)) return SessionCommitResult.Saved;

            (bool found, VersionedSession<T> theirs) = await _connector.TryLoadVersionedAsync<T>(oldId, async, ct).ConfigureAwait(false);

            SessionCommitResult? failed = !found || IdleExpired(theirs) ? SessionCommitResult.Deleted
                : _options.ConflictPolicy == SessionConflictPolicy.Reject || attempt >= attempts ? SessionCommitResult.Conflict
                : null;
            byte[]? theirsFingerprint = null;
            if (failed is null && !TryMerge(copiedFingerprint, theirs.Value, out theirsFingerprint)) failed = SessionCommitResult.Conflict;
            if (failed is { } result)
            {
                // Undo the copy and stay on the old ID (nobody else knows the new one, so deleting it is safe).
                await _connector.DeleteCoreAsync(_id, async, ct).ConfigureAwait(false);
                _id = oldId;
                // Data holds this request's changes on top of the copied version: a later Commit merges from there.
                _version = copiedVersion;
                _loadedFingerprint = copiedFingerprint;
                _modified = true;
                IsNew = false;
                if (result == SessionCommitResult.Deleted) MarkDestroyed();
                return result;
            }

            // Merged the other request's change into this one: copy again, then delete the old ID at its new version.
            copiedVersion = theirs.Version;
            copiedFingerprint = theirsFingerprint;
            _modified = true;
        }
    }

    /// <summary>Deletes the session (logout). Later commits of this object write nothing.</summary>
    public void Destroy() => Sync.Wait(DestroyCoreAsync(async: false, CancellationToken.None));

    /// <summary>Async twin of <see cref="Destroy"/>.</summary>
    public ValueTask DestroyAsync(CancellationToken cancellationToken = default) => DestroyCoreAsync(async: true, cancellationToken);

    private async ValueTask DestroyCoreAsync(bool async, CancellationToken ct)
    {
        await _connector.DeleteCoreAsync(_id, async, ct).ConfigureAwait(false);
        MarkDestroyed();
    }

    private void MarkDestroyed()
    {
        IsDestroyed = true;
        IsLoaded = true;
        _data = T.CreateDefault();
        _loadedFingerprint = null;
    }
}
