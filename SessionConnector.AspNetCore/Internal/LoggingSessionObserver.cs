using System;
using Microsoft.Extensions.Logging;
using SessionConnector.Diagnostics;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>Maps the connector's events to <see cref="ILogger"/> with event ids (see <see cref="Log"/>).</summary>
internal sealed class LoggingSessionObserver(ILogger logger) : SessionConnectorObserver
{
    public override void DevelopmentKeyInUse(string description) => Log.DevelopmentKeyInUse(logger, description);

    public override void RecordRejected(string reason) => Log.RecordRejected(logger, reason);

    public override void StorageFailed(string operation, Exception exception) => Log.StorageFailed(logger, operation, exception);

    public override void StaleSessionServed(TimeSpan age, Exception cause) => Log.StaleSessionServed(logger, age, cause);
}
