using System;
using System.Globalization;
using SessionConnector;

// Start-up probe: prints "startup-ms N" where N is the time from the launch timestamp the caller passes
// (`--startup <Unix ns>`, taken by scripts/measure-startup.sh just before exec) to the first completed encrypted
// Set+Get, set up as samples/QuickStart is. The script runs an empty NativeAOT app with the same clock for reference.
// Without --startup it runs once and says whether the round trip worked (the AOT gate's smoke test).
long launchedNs = args is ["--startup", var ns] ? long.Parse(ns, CultureInfo.InvariantCulture) : 0;

Sessions.ConfigureDefault(warn: static _ => { });
string id = Sessions.GenerateId();
Sessions.Set(id, new ProbeSession { PlayerId = 1, Name = "probe" });
bool ok = Sessions.Get<ProbeSession>(id) is { PlayerId: 1, Name: "probe" };
long nowNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

// Clean-up is outside the measured span: the probe leaves nothing behind in the store.
Sessions.Delete(id);
Sessions.Close();
Console.WriteLine(launchedNs != 0
    ? string.Create(CultureInfo.InvariantCulture, $"startup-ms {(nowNs - launchedNs) / 1e6:F2}")
    : ok ? "StartupProbe OK" : "StartupProbe FAILED");
return ok ? 0 : 1;

/// <summary>The probe's session: a small generated type, as in QuickStart.</summary>
[SessionData]
public partial class ProbeSession
{
    public long PlayerId { get; set; }

    public string Name { get; set; } = "";
}
