namespace SessionConnector.Records;

/// <summary>
/// What opening a record found: the one result every surface (connector, maintenance, sessionctl, sealed cookies)
/// gets from <see cref="RecordPipeline"/>, each mapping it to its own report.
/// </summary>
internal enum OpenResult
{
    /// <summary>Authentic, readable and live.</summary>
    Ok,

    /// <summary>Authentic, but its payload says it has expired (the payload is still handed out, for inspection).</summary>
    Expired,

    /// <summary>A version no connector writes (see <see cref="RecordVersions.IsPlausible"/>): planted or corrupt.</summary>
    BadVersion,

    /// <summary>Not an envelope: truncated, or a wrong magic or format byte.</summary>
    Damaged,

    /// <summary>Sealed under a key id this ring has never held: possibly a newer key other nodes already use.</summary>
    UnknownKey,

    /// <summary>Sealed under a key this ring has revoked.</summary>
    RevokedKey,

    /// <summary>The key is known but the record does not authenticate: altered bytes, another record's, or an edited version.</summary>
    Authentication,

    /// <summary>Authentic, but its payload header (format, expiries) is invalid here (e.g. JSON disabled in this app).</summary>
    BadPayload,

    /// <summary>Authentic, but the data does not decode as the caller's type (a member's type changed, a wrong <c>Get&lt;T&gt;</c>).</summary>
    Undecodable,
}
