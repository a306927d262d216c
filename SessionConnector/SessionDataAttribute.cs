using System;

namespace SessionConnector;

/// <summary>
/// Marks a <c>partial</c> class, struct or record as session data. The SessionConnector source generator
/// implements <see cref="ISessionData{TSelf}"/> for it: MessagePack and JSON serializers and a deep copy,
/// all trim- and AOT-safe.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false, AllowMultiple = false)]
public sealed class SessionDataAttribute : Attribute
{
}

/// <summary>
/// Sets the key a member is stored under (default: the member's name). Use it to rename a member
/// without losing sessions written before the rename: keep the old name as the key.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
public sealed class SessionKeyAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="key">The stored key.</param>
    public SessionKeyAttribute(string key) => Key = key;

    /// <summary>The stored key.</summary>
    public string Key { get; }
}

/// <summary>Excludes a member from the stored session.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class SessionIgnoreAttribute : Attribute
{
}
