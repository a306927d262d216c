using System;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SessionConnector;
using SessionConnector.Storage;

// Start-up probe: prints "startup-ms N" where N is the time from the launch timestamp the caller passes
// (`--startup <Unix ns>`, taken by scripts/measure-startup.sh just before exec) to the first completed encrypted
// Set+Get, set up as samples/QuickStart is. The script runs an empty NativeAOT app with the same clock for reference.
// Without --startup it runs once and says whether the round trip worked (the AOT gate's smoke test).
//
// `--startup <ns> --phases <file|file-nosync|memory>[-serial|-warm]` does the same work step by step instead of through
// Sessions.ConfigureDefault and prints how long each step took ("phases-ms main=… crypto=… …"), so the script can say where
// the time goes: the runtime up to Main, the store's open, the connector (development key, key derivation), the first
// random bytes, the first Set (file-nosync: without its fsyncs; memory: without storage I/O) and the Get. Plain, the step
// that first needs crypto pays its load (as in ConfigureDefault); with -serial it is loaded first (the "crypto" step) so
// every step shows its own cost; with -warm PrepareCrypto() starts it on a second core first (the "crypto" step is then
// the thread's start) and the first step that needs it waits for the rest.
long launchedNs = args is ["--startup", var ns, ..] ? long.Parse(ns, CultureInfo.InvariantCulture) : 0;
if (args is [_, _, "--phases", var storage]) return Phases.Run(launchedNs, storage);

Sessions.ConfigureDefault(warn: static _ => { });
string id = Sessions.GenerateId();
Sessions.Set(id, new ProbeSession { PlayerId = 1, Name = "probe" });
bool ok = Sessions.Get<ProbeSession>(id) is { PlayerId: 1, Name: "probe" };
long nowNs = Phases.UnixNowNs();

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

/// <summary>The step-by-step variant of the probe (see the top of this file).</summary>
internal static class Phases
{
    public static long UnixNowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    public static int Run(long launchedNs, string kind)
    {
        long mainNs = UnixNowNs();
        // "-serial": the crypto library is loaded first, on this thread, so each later step shows its own cost; otherwise
        // the steps run in ConfigureDefault's order, so the step that first needs crypto (the connector's keys) pays its
        // load. "-warm": as that, with SessionStorageConnector.PrepareCrypto() first (the load overlaps the store open and
        // the connector's set-up on a second core).
        bool serial = kind.EndsWith("-serial", StringComparison.Ordinal);
        bool warm = kind.EndsWith("-warm", StringComparison.Ordinal);
        string storageKind = serial ? kind[..^"-serial".Length] : warm ? kind[..^"-warm".Length] : kind;
        long t0 = Stopwatch.GetTimestamp();
        if (warm) SessionStorageConnector.PrepareCrypto();
        string? id = null;
        if (serial)
        {
            // The crypto library's own load (libssl/libcrypto and openssl.cnf on Linux), on a hash no later step needs.
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData("SessionConnector"u8, hash);
        }

        long t1 = Stopwatch.GetTimestamp();
        // The first random bytes: on Linux OpenSSL's generator is set up on first use (with the cipher tables it draws on).
        if (serial) id = SessionStorageConnector.GenerateId();
        long t2 = Stopwatch.GetTimestamp();

        SessionStorage storage = storageKind switch
        {
            "file" => new FileSessionStorage(Sessions.DefaultDirectory),
            "file-nosync" => new FileSessionStorage(Sessions.DefaultDirectory, FileDurability.ProcessCrash),
            "memory" => new MemorySessionStorage(),
            _ => throw new ArgumentException($"Unknown storage '{storageKind}': file, file-nosync or memory (each optionally -serial or -warm)."),
        };
        long t3 = Stopwatch.GetTimestamp();

        // As ConfigureDefault sets it up: a development key (per user, named for the store; random for memory storage).
        using var connector = new SessionStorageConnector(storage, new SessionConnectorOptions { UseDevelopmentKey = true, Warn = static _ => { } });
        long t4 = Stopwatch.GetTimestamp();

        // Overlapped: the ID is drawn after ConfigureDefault, as the probe's main path does.
        id ??= SessionStorageConnector.GenerateId();
        long t4b = Stopwatch.GetTimestamp();

        connector.Set(id, new ProbeSession { PlayerId = 1, Name = "probe" });
        long t5 = Stopwatch.GetTimestamp();

        bool ok = connector.Get<ProbeSession>(id) is { PlayerId: 1, Name: "probe" };
        long t6 = Stopwatch.GetTimestamp();

        connector.Delete(id);
        double main = (mainNs - launchedNs) / 1e6;
        double random = serial ? Ms(t1, t2) : Ms(t4, t4b);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"phases-ms main={main:F3} crypto={Ms(t0, t1):F3} random={random:F3} store={Ms(t2, t3):F3} connector={Ms(t3, t4):F3} set={Ms(t4b, t5):F3} get={Ms(t5, t6):F3} total={main + Ms(t0, t6):F3}"));
        return ok ? 0 : 1;
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
