using System.Diagnostics.Metrics;
using System.Threading;

namespace SessionConnector.Tests.Support;

/// <summary>Sums one long counter of one meter instance.</summary>
public sealed class MetricCounter
{
    private long _total;

    public MetricCounter(Meter meter, string instrument)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (ReferenceEquals(i.Meter, meter) && i.Name == instrument) l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
        listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);
}
