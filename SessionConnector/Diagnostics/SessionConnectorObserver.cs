using System;

namespace SessionConnector.Diagnostics;

/// <summary>
/// Receives the connector's noteworthy events, for logging (the ASP.NET Core package maps them to <c>ILogger</c>
/// with event ids). Every method does nothing by default; override the ones you need. Called on the thread that hit the
/// event, so keep overrides fast and never throw from them.
/// </summary>
public abstract class SessionConnectorObserver
{
    /// <summary>The connector runs on a development key (never in production); <paramref name="description"/> says which.</summary>
    public virtual void DevelopmentKeyInUse(string description) { }

    /// <summary>
    /// A stored record was refused: <paramref name="reason"/> is the tag of the <c>sessionconnector.records.rejected</c>
    /// counter: "authentication" or "version" (not authentic; evicted), "unknown-key" (sealed under a key this node lacks;
    /// left in place), "undecodable" (authentic but not readable as the caller's type; left in place).
    /// </summary>
    public virtual void RecordRejected(string reason) { }

    /// <summary>A storage <paramref name="operation"/> ("read", "write", "delete") failed; the caller gets the exception next.</summary>
    public virtual void StorageFailed(string operation, Exception exception) { }

    /// <summary>
    /// Storage failed (<paramref name="cause"/>) and a read was answered from a cached copy last confirmed by storage
    /// <paramref name="age"/> ago, as <see cref="SessionConnectorOptions.FailSafeMaxStaleness"/> allows.
    /// </summary>
    public virtual void StaleSessionServed(TimeSpan age, Exception cause) { }
}
