namespace SessionConnector.Sealing;

/// <summary>
/// Receives a <see cref="SessionSealer"/>'s noteworthy events, for logging (the ASP.NET Core package maps them to
/// <c>ILogger</c>). Every method does nothing by default; keep overrides fast and never throw from them.
/// </summary>
public abstract class SealedSessionObserver
{
    /// <summary>A session did not fit in the cookie budget and was stored, with only a reference in the cookie.</summary>
    /// <param name="sealedBytes">The size of the session sealed for cookies (base64url text), in bytes.</param>
    /// <param name="budgetBytes">The room the cookies had for it.</param>
    public virtual void SessionSpilled(int sealedBytes, int budgetBytes) { }

    /// <summary>A session did not fit in the cookie budget and no store was configured: the seal threw.</summary>
    /// <param name="sealedBytes">The size of the session sealed for cookies (base64url text), in bytes.</param>
    /// <param name="budgetBytes">The room the cookies had for it.</param>
    public virtual void SessionRefused(int sealedBytes, int budgetBytes) { }

    /// <summary>
    /// A presented cookie did not open; the request gets a fresh session. <paramref name="status"/> says why (the tag of
    /// the <c>sessionconnector.sealed.rejected</c> counter).
    /// </summary>
    public virtual void CookieRejected(SealedSessionStatus status) { }
}
