using System;

namespace SessionConnector.Storage;

/// <summary>
/// A storage that answers in this process without blocking (a memory store, or a store in front of one): the connector
/// calls these members instead of the general ones on its write path, skipping the async state machines (which cost a Set
/// more than such a store's own work), the copy of an envelope it hands over, and a second clock read.
/// </summary>
internal interface IInProcessStorage
{
    /// <summary>The clock expiry is judged by. When it is the connector's clock, the connector hands its reading in.</summary>
    TimeProvider Time { get; }

    /// <summary>
    /// The version of the live record (<see cref="SessionStorage.Absent"/> when there is none), judging expiry at
    /// <paramref name="now"/>, a reading of <see cref="Time"/> the caller already took (null: read the clock here).
    /// </summary>
    long ReadVersion(string key, DateTimeOffset? now);

    /// <summary>
    /// <see cref="SessionStorage.TryWrite"/> for a buffer the caller hands over and never touches again: stored as is, without
    /// the copy a public caller's buffer needs. <paramref name="now"/> is as for <see cref="ReadVersion"/>.
    /// </summary>
    bool TryWriteOwned(string key, byte[] value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, DateTimeOffset? now = null);
}
