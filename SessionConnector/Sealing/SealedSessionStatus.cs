namespace SessionConnector.Sealing;

/// <summary>What became of the cookie a request presented.</summary>
public enum SealedSessionStatus
{
    /// <summary>No session cookie was presented: a fresh session.</summary>
    None,

    /// <summary>The cookie opened: the session continues.</summary>
    Opened,

    /// <summary>The cookies were malformed: chunks missing, reordered, duplicated or out of bounds, or bad encoding.</summary>
    Malformed,

    /// <summary>
    /// The cookie did not authenticate: altered bytes, a revoked key, or a cookie minted for another cookie name or
    /// purpose.
    /// </summary>
    Rejected,

    /// <summary>The cookie was sealed under a key id this process has never held (a rolling key deployment).</summary>
    UnknownKey,

    /// <summary>The cookie's absolute or idle expiry has passed.</summary>
    Expired,

    /// <summary>The cookie was signed out (or retired by a renewal) and replayed; only detectable with a store.</summary>
    Revoked,

    /// <summary>The cookie authenticated but its data did not decode as this type, or its spilled record is gone.</summary>
    Undecodable,
}
