using System;

namespace SessionConnector.Redis.Internal;

/// <summary>
/// The text published on the invalidation channel: <c>node|storageKey|version</c>, or <c>node|*</c> after a clear.
/// Never the value. Storage keys are base64url and node IDs hex, so '|' cannot occur inside a field.
/// </summary>
internal static class InvalidationMessage
{
    public const string All = "*";

    public static string ForKey(string nodeId, string storageKey, long version) => $"{nodeId}|{storageKey}|{version}";

    public static string ForAll(string nodeId) => $"{nodeId}|{All}";

    /// <summary>Parses a message; false when it is malformed or was sent by <paramref name="ownNodeId"/>.</summary>
    public static bool TryParseForeign(string? message, string ownNodeId, out string storageKey)
    {
        storageKey = string.Empty;
        if (message is null) return false;
        int first = message.IndexOf('|');
        if (first <= 0) return false;
        if (message.AsSpan(0, first).SequenceEqual(ownNodeId)) return false;
        int second = message.IndexOf('|', first + 1);
        storageKey = second < 0 ? message[(first + 1)..] : message[(first + 1)..second];
        return storageKey.Length > 0;
    }
}
