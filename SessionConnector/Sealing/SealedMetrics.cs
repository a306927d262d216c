using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace SessionConnector.Sealing;

/// <summary>The sealer's counters, on a meter of its own (named like the connector's, so one listener sees both).</summary>
internal sealed class SealedMetrics : IDisposable
{
    private readonly Counter<long> _spilled;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _rejected;
    private readonly SealedSessionObserver? _observer;
    private readonly bool _ownsMeter;

    public SealedMetrics(IMeterFactory? meterFactory, SealedSessionObserver? observer)
    {
        _observer = observer;
        _ownsMeter = meterFactory is null;
        Meter = meterFactory?.Create(new MeterOptions(Diagnostics.SessionMetrics.MeterName) { Version = "1.0" })
            ?? new Meter(Diagnostics.SessionMetrics.MeterName, "1.0");
        _spilled = Meter.CreateCounter<long>("sessionconnector.sealed.spilled", "{session}", "Sealed sessions too large for their cookies, stored with a reference in the cookie.");
        _refused = Meter.CreateCounter<long>("sessionconnector.sealed.refused", "{session}", "Sealed sessions too large for their cookies with no store to take them: the seal threw.");
        _rejected = Meter.CreateCounter<long>("sessionconnector.sealed.rejected", "{cookie}", "Presented sealed cookies that did not open (reason tag).");
    }

    public Meter Meter { get; }

    public void Spilled(int size, int budget)
    {
        _spilled.Add(1);
        _observer?.SessionSpilled(size, budget);
    }

    public void Refused(int size, int budget)
    {
        _refused.Add(1);
        _observer?.SessionRefused(size, budget);
    }

    public void Rejected(SealedSessionStatus status)
    {
        if (_rejected.Enabled) _rejected.Add(1, new KeyValuePair<string, object?>("sessionconnector.reject.reason", Reason(status)));
        _observer?.CookieRejected(status);
    }

    private static string Reason(SealedSessionStatus status) => status switch
    {
        SealedSessionStatus.Malformed => "malformed",
        SealedSessionStatus.Rejected => "authentication",
        SealedSessionStatus.UnknownKey => "unknown-key",
        SealedSessionStatus.Expired => "expired",
        SealedSessionStatus.Revoked => "revoked",
        _ => "undecodable",
    };

    public void Dispose()
    {
        if (_ownsMeter) Meter.Dispose();
    }
}
