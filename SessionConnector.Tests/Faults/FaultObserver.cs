using System;
using System.Collections.Concurrent;
using SessionConnector.Diagnostics;

namespace SessionConnector.Tests.Faults;

/// <summary>Records what the connector reports for logging (the web package maps these to ILogger errors and warnings).</summary>
public sealed class FaultObserver : SessionConnectorObserver
{
    public ConcurrentQueue<(string Operation, Exception Exception)> Failures { get; } = new();

    public ConcurrentQueue<TimeSpan> StaleServed { get; } = new();

    public override void StorageFailed(string operation, Exception exception) => Failures.Enqueue((operation, exception));

    public override void StaleSessionServed(TimeSpan age, Exception cause) => StaleServed.Enqueue(age);
}
