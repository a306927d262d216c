using System;

namespace SessionConnector.Maintenance;

/// <summary>One decrypted session, shown without the application's types (<see cref="SessionStoreMaintenance.InspectAsync"/>).</summary>
public sealed class SessionInspection
{
    internal SessionInspection(string storageKey, long version, DateTimeOffset? storedExpiresAt, uint? keyId, RecordFailure failure,
        SessionFormat? format, DateTimeOffset? expiresAt, DateTimeOffset? absoluteExpiresAt, string? dataJson)
    {
        StorageKey = storageKey;
        Version = version;
        StoredExpiresAt = storedExpiresAt;
        KeyId = keyId;
        Failure = failure;
        Format = format;
        ExpiresAt = expiresAt;
        AbsoluteExpiresAt = absoluteExpiresAt;
        DataJson = dataJson;
    }

    /// <summary>The record's storage key (the keyed hash of the session ID).</summary>
    public string StorageKey { get; }

    /// <summary>The record's version.</summary>
    public long Version { get; }

    /// <summary>The expiry the backend holds for the record.</summary>
    public DateTimeOffset? StoredExpiresAt { get; }

    /// <summary>The key id in the envelope header, or null when the record is damaged.</summary>
    public uint? KeyId { get; }

    /// <summary>Why the record does not open, or <see cref="RecordFailure.None"/>.</summary>
    public RecordFailure Failure { get; }

    /// <summary>The serialization format of the data, when the record opened.</summary>
    public SessionFormat? Format { get; }

    /// <summary>The authenticated expiry enforced now (may slide), when the record opened.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The authenticated absolute expiry, when the record opened.</summary>
    public DateTimeOffset? AbsoluteExpiresAt { get; }

    /// <summary>
    /// The session data as indented JSON, when the record opened. MessagePack data is shown generically: maps as objects
    /// (non-string keys as their text), binary as base64 strings, extensions as <c>{"$ext": type, "data": base64}</c>.
    /// This is the session's plaintext: treat it as a secret.
    /// </summary>
    public string? DataJson { get; }
}
