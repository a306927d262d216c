using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using SessionConnector.Diagnostics;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Diagnostics;

public sealed class SessionMetricsTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    // Issue 18, "Set near its floor": without a listener a storage call must not pay for timestamps.
    [Fact]
    public void WithoutADurationListenerNoStorageOperationReadsTheClock()
    {
        using var metrics = new SessionMetrics("memory");
        Assert.Equal(0, metrics.StartStorageOperation());

        using var listener = Listen(metrics.Meter, "sessionconnector.storage.duration", new List<Measurement>());
        Assert.NotEqual(0, metrics.StartStorageOperation());
    }

    [Fact]
    public void AListenerGetsEveryStorageOperationWithItsTagsAndADuration()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.Memory);
        var operations = new List<Measurement>();
        var durations = new List<Measurement>();
        using MeterListener opsListener = Listen(c.Meter, "sessionconnector.storage.operations", operations);
        using MeterListener durationListener = Listen(c.Meter, "sessionconnector.storage.duration", durations);
        string id = SessionStorageConnector.GenerateId();

        Assert.True(c.Set(id, new Counter { Value = 1 }));
        Assert.NotNull(c.Get<Counter>(id));
        Assert.True(c.Delete(id));

        string[] expected = ["read", "write", "read", "delete"];
        Assert.Equal(expected, operations.Select(m => m.Operation));
        Assert.All(operations, m => Assert.Equal(1, m.Value));
        Assert.All(operations, m => Assert.Equal("memory", m.Kind));
        Assert.Equal(expected, durations.Select(m => m.Operation));
        // Seconds of one in-memory call: positive and far below a second (a missing start time would give the uptime).
        Assert.All(durations, m => Assert.InRange(m.Value, 0, 1));
    }

    [Fact]
    public void AListenerThatSubscribesDuringAnOperationSkipsThatOneDuration()
    {
        using var metrics = new SessionMetrics("memory");
        long start = metrics.StartStorageOperation(); // no listener yet: no start time
        var durations = new List<Measurement>();
        using MeterListener listener = Listen(metrics.Meter, "sessionconnector.storage.duration", durations);

        metrics.StorageOperation("read", start);
        metrics.StorageOperation("write", metrics.StartStorageOperation());

        Assert.Equal(["write"], durations.Select(m => m.Operation));
        Assert.InRange(durations[0].Value, 0, 1);
    }

    private sealed record Measurement(double Value, string? Kind, string? Operation);

    private static MeterListener Listen(Meter meter, string instrument, List<Measurement> sink)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (ReferenceEquals(i.Meter, meter) && i.Name == instrument) l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Record(sink, value, tags));
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Record(sink, value, tags));
        listener.Start();
        return listener;
    }

    private static void Record(List<Measurement> sink, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? kind = null, operation = null;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == "sessionconnector.storage.kind") kind = (string?)tag.Value;
            else if (tag.Key == "sessionconnector.storage.operation") operation = (string?)tag.Value;
        }

        lock (sink) sink.Add(new Measurement(value, kind, operation));
    }
}
