using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Time.Testing;
using SessionConnector.Sealing;
using SessionConnector.Tests.Support;

namespace SessionConnector.Tests.Sealing;

[SessionData]
public partial class SealedCart
{
    public int Count { get; set; }
    public string Note { get; set; } = "";
    public List<string> Items { get; set; } = new();
}

/// <summary>Sealers over one fake clock and key ring, and helpers that play the browser.</summary>
internal sealed class SealedFixture : IDisposable
{
    public static readonly byte[] Key1 = Convert.FromHexString("5f0c21a9e3b47d6811f0aa3c5e7b9d20416283a4c5e607f8193a5b7c9d0e1f23");
    public static readonly byte[] Key2 = Convert.FromHexString("a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0fedcba9876543210");

    private readonly List<IDisposable> _owned = new();

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public SessionKeyRing Keys { get; } = SessionKeyRing.FromSecret(Key1);

    public TestConnectors Connectors { get; } = new();

    public SessionSealer Create(Action<SessionSealerOptions>? configure = null)
    {
        var options = new SessionSealerOptions
        {
            Keys = Keys,
            Purpose = "tests/cart",
            CookieName = "cart",
            TimeProvider = Clock,
            Secure = true,
        };
        configure?.Invoke(options);
        var sealer = new SessionSealer(options);
        _owned.Add(sealer);
        return sealer;
    }

    public SessionStorageConnector Store(StorageKind kind)
    {
        SessionStorageConnector connector = Connectors.Create(kind, o => o.TimeProvider = Clock);
        _owned.Add(connector);
        return connector;
    }

    /// <summary>What a browser sends back: the set cookies as a Cookie header (deletions left out).</summary>
    public static string Header(IEnumerable<SealedCookie> cookies) =>
        string.Join("; ", cookies.Where(c => !c.IsDeletion).Select(c => c.Name + "=" + c.Value));

    public static string Big(int chars)
    {
        var random = new Random(chars);
        var text = new char[chars];
        for (int i = 0; i < text.Length; i++) text[i] = (char)('a' + random.Next(26));
        return new string(text);
    }

    public void Dispose()
    {
        foreach (IDisposable d in _owned) d.Dispose();
        Keys.Dispose();
        Connectors.Dispose();
    }
}
