namespace SessionConnector.Maintenance;

/// <summary>Why a stored record does not open, as store maintenance reports it.</summary>
public enum RecordFailure
{
    /// <summary>The record opens: it authenticates, decrypts and has a valid payload header.</summary>
    None = 0,

    /// <summary>The backend's container or the envelope is malformed (truncated, wrong magic or format version).</summary>
    Damaged,

    /// <summary>Sealed under a key id the ring has never held: possibly a newer key other nodes already use.</summary>
    UnknownKey,

    /// <summary>Sealed under a key the ring has revoked.</summary>
    RevokedKey,

    /// <summary>The key is known but the record does not authenticate: altered bytes, or moved from another record.</summary>
    Authentication,

    /// <summary>The record authenticates but its payload header (format, expiry) is invalid.</summary>
    BadPayload,

    /// <summary>
    /// The record's version is at the top of the range, so it cannot be rewritten with a newer one. No longer reported:
    /// a version above the one the connectors' version rule allows is refused as <see cref="Damaged"/> first.
    /// </summary>
    VersionExhausted,
}
