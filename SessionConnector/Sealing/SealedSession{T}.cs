using System;

namespace SessionConnector.Sealing;

/// <summary>
/// One request's session opened from sealed cookies by <see cref="SessionSealer.Open{T}"/>: mutate <see cref="Data"/>,
/// then hand it to <see cref="SessionSealer.Seal{T}"/> for the cookies of the response. Not thread-safe: one request,
/// one flow of control.
/// </summary>
/// <typeparam name="T">The session data type (a <c>[SessionData]</c> type or <see cref="SessionBag"/>).</typeparam>
public sealed class SealedSession<T> where T : ISessionData<T>
{
    private T _loaded;
    private T _data;

    internal SealedSession(T data, SealedSessionStatus status, OpenedCookie? opened, int presentedChunks)
    {
        _data = data;
        _loaded = T.DeepClone(data);
        Status = status;
        Opened = opened;
        PresentedChunks = presentedChunks;
        CookieId = opened?.CookieId;
        AbsoluteExpiresAt = opened?.AbsoluteExpiresAt;
        ExpiresAt = opened?.ExpiresAt;
    }

    /// <summary>The session data; mutate it or replace it.</summary>
    public T Data
    {
        get => _data;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _data = value;
        }
    }

    /// <summary>What became of the presented cookie (<see cref="SealedSessionStatus.Opened"/> when the session continues).</summary>
    public SealedSessionStatus Status { get; }

    /// <summary>True when no presented cookie opened: the data is the type's default.</summary>
    public bool IsNew => Status != SealedSessionStatus.Opened;

    /// <summary>The id of the cookie as opened or last sealed (22 base64url characters); null for a new, unsealed session.</summary>
    public string? CookieId { get; internal set; }

    /// <summary>When the cookie as opened or last sealed stops opening (the earlier of the idle and absolute expiry).</summary>
    public DateTimeOffset? ExpiresAt { get; internal set; }

    /// <summary>The absolute expiry fixed when the session was created; renewals and activity never move it.</summary>
    public DateTimeOffset? AbsoluteExpiresAt { get; internal set; }

    /// <summary>True once <see cref="Renew"/> was called and the next seal has not yet happened.</summary>
    public bool IsRenewPending { get; private set; }

    /// <summary>True after <see cref="SessionSealer.SignOut{T}"/>.</summary>
    public bool IsSignedOut { get; internal set; }

    /// <summary>True when <see cref="Data"/> differs from what was opened.</summary>
    public bool IsModified => !T.ValueEquals(_loaded, _data);

    /// <summary>
    /// Asks for a new cookie id at the next seal (call it at login and at every privilege change): a cookie seen or
    /// planted before is then a different cookie, and with a store the old one is refused from then on.
    /// </summary>
    public void Renew()
    {
        if (IsSignedOut) throw new InvalidOperationException("The session was signed out.");
        IsRenewPending = true;
    }

    /// <summary>
    /// At login: binds the session to <paramref name="principalId"/> (a user or account id; the cookie carries only a keyed
    /// hash of it and the principal's revocation generation, encrypted) and renews the cookie id, as <see cref="Renew"/>.
    /// From the next seal on, <see cref="SessionStorageConnector.SignOutEverywhere"/> for that principal (from any stored
    /// or sealed session, on any node sharing the store) makes this cookie open as <see cref="SealedSessionStatus.Revoked"/>.
    /// </summary>
    /// <param name="principalId">The user or account id.</param>
    /// <exception cref="InvalidOperationException">
    /// The sealer has no store: the principal's generation lives in storage, so without one a binding could never be revoked.
    /// Or the session was signed out.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="principalId"/> is null, empty or longer than 1,024 characters.</exception>
    public void BindPrincipal(string principalId)
    {
        if (!CanBind)
        {
            throw new InvalidOperationException("Binding a sealed session to a principal needs a store (SessionSealerOptions.Store): sign out everywhere checks the principal's generation there. Without one, a bound cookie could never be revoked.");
        }

        Principals.PrincipalRecords.ValidatePrincipalId(principalId);
        Renew();
        PendingPrincipalId = principalId;
    }

    /// <summary>True when the session is bound to a principal (as opened or last sealed), or a binding waits for the next seal.</summary>
    public bool IsBound => PendingPrincipalId is not null || Opened?.Principal is not null;

    internal string? PendingPrincipalId { get; private set; }

    /// <summary>Set by the sealer: whether it has the store a binding needs.</summary>
    internal bool CanBind { get; init; }

    internal OpenedCookie? Opened { get; set; }

    internal int PresentedChunks { get; set; }

    internal void Sealed(OpenedCookie cookie, int chunks)
    {
        Opened = cookie;
        PresentedChunks = chunks;
        CookieId = cookie.CookieId;
        // What the browser now holds: a second seal in the same request only goes out if something changed again.
        _loaded = T.DeepClone(_data);
        ExpiresAt = cookie.ExpiresAt;
        AbsoluteExpiresAt = cookie.AbsoluteExpiresAt;
        IsRenewPending = false;
        PendingPrincipalId = null;
    }
}
