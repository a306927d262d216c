using SessionConnector.Records;

namespace SessionConnector;

// The connector's readings of the version clock (Records/RecordVersions, shared with store maintenance).
public sealed partial class SessionStorageConnector
{
    /// <summary>
    /// A record's next version on this connector's clock, on the clock line of the record's stripe (see
    /// <see cref="RecordVersions.Next"/>): pass the storage key's stripe, so versions of one key only grow.
    /// </summary>
    private long NextVersion(long previous, int stripe) => RecordVersions.Next(previous, NowTicks, stripe);

    /// <summary>
    /// <see cref="NextVersion(long, int)"/> with the clock already read by the caller: a Set reads it once, for its expiry
    /// and its version.
    /// </summary>
    private static long NextVersion(long previous, long nowTicks, int stripe) => RecordVersions.Next(previous, nowTicks, stripe);
}
