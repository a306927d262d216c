#if !SC_GENERATOR
// Stand-in for the [SessionData] generator while SessionConnector.Generators is not merged: the same shape of code
// the generator emits (map keyed by member name, member names switched on as strings, no reflection). When the
// generator project exists the csproj defines SC_GENERATOR and this file compiles to nothing.
using System.Collections.Generic;
using System.Text.Json;
using MessagePack;

namespace SessionConnector.Benchmarks;

public sealed partial class BenchSession : ISessionData<BenchSession>
{
    public static void WriteMessagePack(ref MessagePackWriter writer, BenchSession value)
    {
        writer.WriteMapHeader(6);
        writer.WriteString("UserId"u8); writer.Write(value.UserId);
        writer.WriteString("TenantId"u8); writer.Write(value.TenantId);
        writer.WriteString("Name"u8); writer.Write(value.Name);
        writer.WriteString("IsAdmin"u8); writer.Write(value.IsAdmin);
        writer.WriteString("Cart"u8);
        writer.WriteArrayHeader(value.Cart.Count);
        foreach (CartItem item in value.Cart) CartItem.WriteMessagePack(ref writer, item);
        writer.WriteString("Preferences"u8);
        writer.WriteMapHeader(value.Preferences.Count);
        foreach (KeyValuePair<string, string> pair in value.Preferences)
        {
            writer.Write(pair.Key);
            writer.Write(pair.Value);
        }
    }

    public static BenchSession ReadMessagePack(ref MessagePackReader reader)
    {
        int count = reader.ReadMapHeader();
        var result = new BenchSession();
        for (int i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "UserId": result.UserId = reader.ReadInt64(); break;
                case "TenantId": result.TenantId = reader.ReadInt32(); break;
                case "Name": result.Name = reader.ReadString()!; break;
                case "IsAdmin": result.IsAdmin = reader.ReadBoolean(); break;
                case "Cart":
                    int n = reader.ReadArrayHeader();
                    var cart = new List<CartItem>(n);
                    for (int j = 0; j < n; j++) cart.Add(CartItem.ReadMessagePack(ref reader));
                    result.Cart = cart;
                    break;
                case "Preferences":
                    int m = reader.ReadMapHeader();
                    var prefs = new Dictionary<string, string>(m);
                    for (int j = 0; j < m; j++)
                    {
                        string key = reader.ReadString()!;
                        prefs[key] = reader.ReadString()!;
                    }

                    result.Preferences = prefs;
                    break;
                default: reader.Skip(); break;
            }
        }

        return result;
    }

    public static void WriteJson(Utf8JsonWriter writer, BenchSession value)
    {
        writer.WriteStartObject();
        writer.WriteNumber("UserId"u8, value.UserId);
        writer.WriteNumber("TenantId"u8, value.TenantId);
        writer.WriteString("Name"u8, value.Name);
        writer.WriteBoolean("IsAdmin"u8, value.IsAdmin);
        writer.WriteStartArray("Cart"u8);
        foreach (CartItem item in value.Cart) CartItem.WriteJson(writer, item);
        writer.WriteEndArray();
        writer.WriteStartObject("Preferences"u8);
        foreach (KeyValuePair<string, string> pair in value.Preferences) writer.WriteString(pair.Key, pair.Value);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static BenchSession ReadJson(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.None) reader.Read();
        var result = new BenchSession();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string? key = reader.GetString();
            reader.Read();
            switch (key)
            {
                case "UserId": result.UserId = reader.GetInt64(); break;
                case "TenantId": result.TenantId = reader.GetInt32(); break;
                case "Name": result.Name = reader.GetString()!; break;
                case "IsAdmin": result.IsAdmin = reader.GetBoolean(); break;
                case "Cart":
                    var cart = new List<CartItem>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) cart.Add(CartItem.ReadJson(ref reader));
                    result.Cart = cart;
                    break;
                case "Preferences":
                    var prefs = new Dictionary<string, string>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        string k = reader.GetString()!;
                        reader.Read();
                        prefs[k] = reader.GetString()!;
                    }

                    result.Preferences = prefs;
                    break;
                default: reader.Skip(); break;
            }
        }

        return result;
    }

    public static BenchSession DeepClone(BenchSession value)
    {
        var cart = new List<CartItem>(value.Cart.Count);
        foreach (CartItem item in value.Cart) cart.Add(CartItem.DeepClone(item));
        return new BenchSession
        {
            UserId = value.UserId,
            TenantId = value.TenantId,
            Name = value.Name,
            IsAdmin = value.IsAdmin,
            Cart = cart,
            Preferences = new Dictionary<string, string>(value.Preferences),
        };
    }

    public static BenchSession CreateDefault() => new();
}

public sealed partial class CartItem : ISessionData<CartItem>
{
    public static void WriteMessagePack(ref MessagePackWriter writer, CartItem value)
    {
        writer.WriteMapHeader(3);
        writer.WriteString("Sku"u8); writer.Write(value.Sku);
        writer.WriteString("Quantity"u8); writer.Write(value.Quantity);
        writer.WriteString("PriceCents"u8); writer.Write(value.PriceCents);
    }

    public static CartItem ReadMessagePack(ref MessagePackReader reader)
    {
        int count = reader.ReadMapHeader();
        var result = new CartItem();
        for (int i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "Sku": result.Sku = reader.ReadString()!; break;
                case "Quantity": result.Quantity = reader.ReadInt32(); break;
                case "PriceCents": result.PriceCents = reader.ReadInt64(); break;
                default: reader.Skip(); break;
            }
        }

        return result;
    }

    public static void WriteJson(Utf8JsonWriter writer, CartItem value)
    {
        writer.WriteStartObject();
        writer.WriteString("Sku"u8, value.Sku);
        writer.WriteNumber("Quantity"u8, value.Quantity);
        writer.WriteNumber("PriceCents"u8, value.PriceCents);
        writer.WriteEndObject();
    }

    public static CartItem ReadJson(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.None) reader.Read();
        var result = new CartItem();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string? key = reader.GetString();
            reader.Read();
            switch (key)
            {
                case "Sku": result.Sku = reader.GetString()!; break;
                case "Quantity": result.Quantity = reader.GetInt32(); break;
                case "PriceCents": result.PriceCents = reader.GetInt64(); break;
                default: reader.Skip(); break;
            }
        }

        return result;
    }

    public static CartItem DeepClone(CartItem value) => new() { Sku = value.Sku, Quantity = value.Quantity, PriceCents = value.PriceCents };

    public static CartItem CreateDefault() => new();
}
#endif
