using System;

namespace SessionConnector.Postgres.Internal;

/// <summary>
/// A NOTIFY payload: the sending node's ID, ':', then the storage key or <see cref="All"/>. The node ID lets a node skip
/// its own messages (its cache already holds what it wrote).
/// </summary>
internal static class InvalidationMessage
{
    /// <summary>The "key" of a clear: every cached record is stale.</summary>
    public const string All = "*";

    public static string ForKey(string nodeId, string key) => nodeId + ":" + key;

    public static string ForAll(string nodeId) => nodeId + ":" + All;

    /// <summary>True for a well-formed message from another node, with its key (or <see cref="All"/>).</summary>
    public static bool TryParseForeign(string? payload, string ownNodeId, out string key)
    {
        key = string.Empty;
        if (payload is null) return false;
        int colon = payload.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == payload.Length - 1) return false;
        if (payload.AsSpan(0, colon).SequenceEqual(ownNodeId)) return false;
        key = payload[(colon + 1)..];
        return true;
    }
}
