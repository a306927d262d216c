using System;
using System.Collections.Generic;
using SessionConnector;

// QuickStart: a typed session stored encrypted on disk, written, read, updated and deleted.
//
// ConfigureDefault is the development opt-in: file storage in ./.sessions and a development key kept next to it
// (it prints a warning). A production app passes its own keys instead:
//     Sessions.Configure(new FileSessionStorage("/var/lib/app/sessions"),
//                        new SessionConnectorOptions { Keys = SessionKeyRing.FromEnvironment() });
Sessions.ConfigureDefault();

// 1. Create: a new random session ID and a typed session (its serializers are generated at compile time).
string id = Sessions.GenerateId();
var player = new PlayerSession
{
    PlayerId = 42,
    Name = "ada",
    Level = 1,
    Inventory = [new Item { Name = "sword", Quantity = 1 }],
};
Sessions.Set(id, player, TimeSpan.FromHours(1));
Console.WriteLine($"set     {id[..8]}…  player {player.PlayerId} '{player.Name}' level {player.Level}");

// 2. Read: you get your own copy; changing it does not change the stored session.
PlayerSession? loaded = Sessions.Get<PlayerSession>(id);
Console.WriteLine($"get     player {loaded?.PlayerId} '{loaded?.Name}' level {loaded?.Level}");

// 3. Update: an atomic read-modify-write (compare-and-set) that keeps the session's expiry.
Sessions.Update<PlayerSession>(id, session =>
{
    session.Level++;
    session.Inventory.Add(new Item { Name = "potion", Quantity = 3 });
});
PlayerSession? updated = Sessions.Get<PlayerSession>(id);
Console.WriteLine($"update  level {updated?.Level}, {updated?.Inventory.Count} items");

// 4. Delete (a logout): the session is gone.
Sessions.Delete(id);
bool deleted = Sessions.Get<PlayerSession>(id) is null;
Console.WriteLine($"delete  {(deleted ? "gone" : "still there")}");

Sessions.Close();

bool ok = loaded is { PlayerId: 42, Name: "ada", Level: 1 } && updated is { Level: 2, Inventory.Count: 2 } && deleted;
Console.WriteLine(ok ? "QuickStart OK" : "QuickStart FAILED");
return ok ? 0 : 1;

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
