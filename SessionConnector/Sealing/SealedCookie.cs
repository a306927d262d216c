namespace SessionConnector.Sealing;

/// <summary>
/// One cookie for the response to set or delete, with the whole <c>Set-Cookie</c> header value it is sent as (the value
/// the size budget counted).
/// </summary>
public sealed class SealedCookie
{
    internal SealedCookie(string name, string value, bool isDeletion, string setCookieHeader)
    {
        Name = name;
        Value = value;
        IsDeletion = isDeletion;
        SetCookieHeader = setCookieHeader;
    }

    /// <summary>The cookie name (the configured name, or <c>name.N</c> for chunk N).</summary>
    public string Name { get; }

    /// <summary>The cookie value (empty for a deletion).</summary>
    public string Value { get; }

    /// <summary>True when this tells the browser to delete the cookie (a sign-out, or a chunk no longer needed).</summary>
    public bool IsDeletion { get; }

    /// <summary>The value of the <c>Set-Cookie</c> response header for this cookie, attributes included.</summary>
    public string SetCookieHeader { get; }

    /// <inheritdoc />
    public override string ToString() => SetCookieHeader;
}
