using System;
using System.Collections.Generic;
using System.Text.Json.Serialization;
using MessagePack;

namespace SessionConnector.Benchmarks;

/// <summary>
/// A typical web/game session: a few ids, a name, a list of five items and a small dictionary. The same type is
/// serialized by every contender: the SessionConnector codec (ISessionData), MessagePack-CSharp (map keyed by
/// property name, the same wire shape as ours) and System.Text.Json source generation.
/// </summary>
[SessionData]
[MessagePackObject(keyAsPropertyName: true)]
public sealed partial class BenchSession
{
    public long UserId { get; set; }

    public int TenantId { get; set; }

    public string Name { get; set; } = "";

    public bool IsAdmin { get; set; }

    public List<CartItem> Cart { get; set; } = [];

    public Dictionary<string, string> Preferences { get; set; } = [];

    public static BenchSession CreateTypical(int seed = 1)
    {
        var s = new BenchSession
        {
            UserId = 1_000_000L + seed,
            TenantId = 42,
            Name = "Ada Lovelace",
            IsAdmin = false,
        };
        for (int i = 0; i < 5; i++)
        {
            s.Cart.Add(new CartItem { Sku = "SKU-" + (10_000 + i * 7 + seed % 100), Quantity = i + 1, PriceCents = 1999 + i * 250 });
        }

        s.Preferences["theme"] = "dark";
        s.Preferences["lang"] = "en-GB";
        s.Preferences["tz"] = "Europe/London";
        s.Preferences["currency"] = "GBP";
        return s;
    }
}

[SessionData]
[MessagePackObject(keyAsPropertyName: true)]
public sealed partial class CartItem
{
    public string Sku { get; set; } = "";

    public int Quantity { get; set; }

    public long PriceCents { get; set; }
}

[JsonSerializable(typeof(BenchSession))]
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Default)]
public sealed partial class BenchJsonContext : JsonSerializerContext
{
}
