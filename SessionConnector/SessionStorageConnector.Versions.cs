using SessionConnector.Records;

namespace SessionConnector;

// The connector's readings of the version clock (Records/RecordVersions, shared with store maintenance).
public sealed partial class SessionStorageConnector
{
    /// <summary>A record's next version on this connector's clock (see <see cref="RecordVersions.Next"/>).</summary>
    private long NextVersion(long previous) => RecordVersions.Next(previous, NowTicks);

    /// <summary>
    /// <see cref="NextVersion(long)"/> with the clock already read by the caller: a Set reads it once, for its expiry and
    /// its version.
    /// </summary>
    private static long NextVersion(long previous, long nowTicks) => RecordVersions.Next(previous, nowTicks);
}
