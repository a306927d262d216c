namespace SessionConnector.Caching;

/// <summary>
/// Base of the entries an <see cref="IdMemo{TEntry}"/> holds: the ID and its memo hash, compared on lookup. Immutable:
/// readers find an entry without a lock, so once published it never changes (derived types add only read-only data).
/// </summary>
internal abstract class IdMemoEntry(string id, int idHash)
{
    public string Id { get; } = id;

    /// <summary>The memo's hash of <see cref="Id"/>: compared before the ID itself, so a lookup skips most strings unread.</summary>
    public int IdHash { get; } = idHash;
}
