using System;
using System.Collections.Generic;
using System.Diagnostics;
using SessionConnector;

// QuickStart: the embedded default (file storage in ./.sessions with a development key), one typed session,
// written, read back and updated. Prints what it did and how long each step took.
if (args is ["--startup", var startNs])
{
    // Start-up probe for scripts/measure-startup.sh: time from process launch (the script's clock, passed in)
    // to the first completed encrypted Set+Get, then exit.
    Sessions.ConfigureDefault(warn: _ => { });
    string probeId = Sessions.GenerateId();
    Sessions.Set(probeId, new PlayerSession { PlayerId = 1, Name = "probe" });
    bool probeOk = Sessions.Get<PlayerSession>(probeId) is { PlayerId: 1 };
    long nowNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
    Console.WriteLine($"startup-ms {(nowNs - long.Parse(startNs)) / 1e6:F2}");
    Sessions.Delete(probeId);
    return probeOk ? 0 : 1;
}

var total = Stopwatch.StartNew();
var step = Stopwatch.StartNew();

Sessions.ConfigureDefault();
Report("configure (file storage, dev key)");

string id = Sessions.GenerateId();
var player = new PlayerSession
{
    PlayerId = 42,
    Name = "ada",
    Level = 1,
    Inventory = [new Item { Name = "sword", Quantity = 1 }],
};
Sessions.Set(id, player, TimeSpan.FromHours(1));
Report($"set session {id[..8]}… (encrypted, fsynced)");

PlayerSession? loaded = Sessions.Get<PlayerSession>(id);
Report($"get -> player {loaded?.PlayerId} '{loaded?.Name}' level {loaded?.Level}");

Sessions.Update<PlayerSession>(id, s =>
{
    s.Level++;
    s.Inventory.Add(new Item { Name = "potion", Quantity = 3 });
});
Report("update (atomic compare-and-set, expiry kept)");

PlayerSession? updated = Sessions.Get<PlayerSession>(id);
Report($"get -> level {updated?.Level}, {updated?.Inventory.Count} items");

bool ok = loaded is { PlayerId: 42, Name: "ada", Level: 1 } && updated is { Level: 2, Inventory.Count: 2 };
Sessions.Delete(id);
Report("delete");
Sessions.Close();
Console.WriteLine($"total {total.Elapsed.TotalMilliseconds:F2} ms");
Console.WriteLine(ok ? "QuickStart OK" : "QuickStart FAILED");
return ok ? 0 : 1;

void Report(string what)
{
    Console.WriteLine($"{step.Elapsed.TotalMilliseconds,8:F2} ms  {what}");
    step.Restart();
}

/// <summary>A player's session: the generator writes its serializers.</summary>
[SessionData]
public partial class PlayerSession
{
    public long PlayerId { get; set; }

    public string Name { get; set; } = "";

    public int Level { get; set; }

    public List<Item> Inventory { get; set; } = [];
}

/// <summary>An inventory item, nested in the session.</summary>
[SessionData]
public partial class Item
{
    public string Name { get; set; } = "";

    public int Quantity { get; set; }
}
