namespace SessionConnector;

/// <summary>How session data is serialized before it is encrypted.</summary>
public enum SessionFormat : byte
{
    /// <summary>MessagePack: compact and fast (the default).</summary>
    MessagePack = 1,

    /// <summary>Plain JSON: readable after decryption, larger and slower.</summary>
    Json = 2,
}
