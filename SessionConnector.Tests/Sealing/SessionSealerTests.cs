using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using SessionConnector.Sealing;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Sealing;

public sealed class SessionSealerTests : IDisposable
{
    private readonly SealedFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static IReadOnlyList<SealedCookie> Mint(SessionSealer sealer, int count, string note = "hello")
    {
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(null);
        s.Data.Count = count;
        s.Data.Note = note;
        return sealer.Seal(s);
    }

    [Fact]
    public void RoundTripCarriesTheDataTheCookieIdAndTheExpiry()
    {
        SessionSealer sealer = _f.Create(o => o.IdleTimeout = TimeSpan.FromMinutes(30));
        SealedSession<SealedCart> fresh = sealer.Open<SealedCart>(null);
        Assert.Equal(SealedSessionStatus.None, fresh.Status);
        fresh.Data.Count = 7;
        fresh.Data.Items.Add("apple");
        IReadOnlyList<SealedCookie> cookies = sealer.Seal(fresh);

        SealedCookie cookie = Assert.Single(cookies);
        Assert.Equal("cart", cookie.Name);
        Assert.Contains("; HttpOnly", cookie.SetCookieHeader, StringComparison.Ordinal);
        Assert.Contains("; Secure", cookie.SetCookieHeader, StringComparison.Ordinal);
        SealedSession<SealedCart> opened = sealer.Open<SealedCart>(SealedFixture.Header(cookies));
        Assert.Equal(SealedSessionStatus.Opened, opened.Status);
        Assert.Equal(7, opened.Data.Count);
        Assert.Equal(new[] { "apple" }, opened.Data.Items);
        Assert.Equal(fresh.CookieId, opened.CookieId);
        Assert.Equal(22, opened.CookieId!.Length);
        Assert.Equal(_f.Clock.GetUtcNow() + TimeSpan.FromHours(8), opened.AbsoluteExpiresAt);
        Assert.Equal(_f.Clock.GetUtcNow() + TimeSpan.FromMinutes(30), opened.ExpiresAt);
    }

    [Fact]
    public async Task SessionBagRoundTripsThroughTheAsyncTwins()
    {
        SessionSealer sealer = _f.Create();
        SealedSession<SessionBag> s = await sealer.OpenAsync<SessionBag>(null);
        s.Data["user"] = "ada";
        s.Data["n"] = 3L;
        IReadOnlyList<SealedCookie> cookies = await sealer.SealAsync(s);
        SealedSession<SessionBag> opened = await sealer.OpenAsync<SessionBag>(SealedFixture.Header(cookies));
        Assert.Equal(SealedSessionStatus.Opened, opened.Status);
        Assert.Equal("ada", opened.Data["user"]);
        Assert.Equal(3L, opened.Data["n"]);
    }

    [Fact]
    public void UntouchedSessionsSetNoCookie()
    {
        SessionSealer sealer = _f.Create();
        Assert.Empty(sealer.Seal(sealer.Open<SealedCart>(null)));
        string header = SealedFixture.Header(Mint(sealer, 1));
        Assert.Empty(sealer.Seal(sealer.Open<SealedCart>(header)));
    }

    [Fact]
    public void EveryAlteredByteIsRefused()
    {
        SessionSealer sealer = _f.Create();
        SealedCookie cookie = Assert.Single(Mint(sealer, 5));
        string prefix = cookie.Value[..4]; // "0.1."
        byte[] blob = SealedCookieFormat.FromBase64Url(cookie.Value.AsSpan(4))!;
        Assert.Equal(SealedSessionStatus.Opened, sealer.Open<SealedCart>("cart=" + cookie.Value).Status);
        for (int i = 0; i < blob.Length; i++)
        {
            foreach (byte flip in new byte[] { 0x01, 0x80 })
            {
                byte[] altered = (byte[])blob.Clone();
                altered[i] ^= flip;
                SealedSession<SealedCart> s = sealer.Open<SealedCart>("cart=" + prefix + SealedCookieFormat.ToBase64Url(altered));
                Assert.True(s.Status != SealedSessionStatus.Opened, $"byte {i} ^ {flip:x2} opened");
                Assert.True(s.IsNew);
                Assert.Equal(0, s.Data.Count);
            }
        }

        // Truncated and extended texts are refused too.
        string text = cookie.Value[4..];
        Assert.NotEqual(SealedSessionStatus.Opened, sealer.Open<SealedCart>("cart=" + prefix + text[..^1]).Status);
        Assert.NotEqual(SealedSessionStatus.Opened, sealer.Open<SealedCart>("cart=" + prefix + text + "A").Status);
    }

    [Fact]
    public void ACookieMovedToAnotherNameDoesNotOpen()
    {
        SessionSealer cart = _f.Create();
        SessionSealer other = _f.Create(o => o.CookieName = "prefs");
        SealedCookie cookie = Assert.Single(Mint(cart, 3));
        SealedSession<SealedCart> moved = other.Open<SealedCart>("prefs=" + cookie.Value);
        Assert.Equal(SealedSessionStatus.Rejected, moved.Status);
        Assert.Equal(SealedSessionStatus.Opened, cart.Open<SealedCart>("cart=" + cookie.Value).Status);
    }

    [Fact]
    public void ACookieMintedForAnotherPurposeDoesNotOpen()
    {
        SessionSealer admin = _f.Create(o => o.Purpose = "tests/admin");
        SessionSealer cart = _f.Create();
        SealedCookie cookie = Assert.Single(Mint(admin, 3));
        Assert.Equal(SealedSessionStatus.Rejected, cart.Open<SealedCart>("cart=" + cookie.Value).Status);
        // A purpose that only extends another one is still another purpose.
        SessionSealer extended = _f.Create(o => o.Purpose = "tests/admin/x");
        Assert.Equal(SealedSessionStatus.Rejected, extended.Open<SealedCart>("cart=" + cookie.Value).Status);
        Assert.Equal(SealedSessionStatus.Opened, admin.Open<SealedCart>("cart=" + cookie.Value).Status);
    }

    [Fact]
    public void AnAbsolutelyExpiredCookieIsRefusedAndActivityNeverExtendsIt()
    {
        SessionSealer sealer = _f.Create(o => { o.Lifetime = TimeSpan.FromHours(1); o.IdleTimeout = TimeSpan.FromMinutes(40); });
        string header = SealedFixture.Header(Mint(sealer, 1));
        for (int i = 0; i < 3; i++)
        {
            _f.Clock.Advance(TimeSpan.FromMinutes(19));
            SealedSession<SealedCart> s = sealer.Open<SealedCart>(header);
            Assert.Equal(SealedSessionStatus.Opened, s.Status);
            s.Data.Count++;
            header = SealedFixture.Header(sealer.Seal(s));
        }

        _f.Clock.Advance(TimeSpan.FromMinutes(4)); // 61 minutes after creation, 4 after the last seal
        Assert.Equal(SealedSessionStatus.Expired, sealer.Open<SealedCart>(header).Status);
    }

    [Fact]
    public void AnIdleExpiredCookieIsRefusedAndAnActiveOneSlides()
    {
        SessionSealer sealer = _f.Create(o => o.IdleTimeout = TimeSpan.FromMinutes(10));
        string header = SealedFixture.Header(Mint(sealer, 1));
        _f.Clock.Advance(TimeSpan.FromMinutes(6));
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(header);
        Assert.Equal(SealedSessionStatus.Opened, s.Status);
        IReadOnlyList<SealedCookie> slid = sealer.Seal(s); // unchanged data, but more than half the idle time is gone
        Assert.Single(slid);
        _f.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(SealedSessionStatus.Expired, sealer.Open<SealedCart>(header).Status); // the old cookie: 12 min idle
        Assert.Equal(SealedSessionStatus.Opened, sealer.Open<SealedCart>(SealedFixture.Header(slid)).Status);
        _f.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(SealedSessionStatus.Expired, sealer.Open<SealedCart>(SealedFixture.Header(slid)).Status);
    }

    [Fact]
    public void RotationKeepsOldCookiesOpenAndResealsThemRevocationRefusesThem()
    {
        _f.Keys.AddKey(2, SealedFixture.Key2);
        SessionSealer sealer = _f.Create();
        string header = SealedFixture.Header(Mint(sealer, 4)); // under key 1
        _f.Keys.SetPrimary(2);
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(header);
        Assert.Equal(SealedSessionStatus.Opened, s.Status);
        IReadOnlyList<SealedCookie> resealed = sealer.Seal(s); // unchanged, but under an old key: re-sealed under key 2
        Assert.Single(resealed);

        _f.Keys.Revoke(1);
        Assert.Equal(SealedSessionStatus.Rejected, sealer.Open<SealedCart>(header).Status);
        SealedSession<SealedCart> current = sealer.Open<SealedCart>(SealedFixture.Header(resealed));
        Assert.Equal(SealedSessionStatus.Opened, current.Status);
        Assert.Equal(4, current.Data.Count);
    }

    [Fact]
    public void ACookieUnderAKeyThisNodeNeverHeldIsReportedAsUnknown()
    {
        using var newer = new SessionKeyRing().AddKey(1, SealedFixture.Key1).AddKey(9, SealedFixture.Key2, primary: true);
        SessionSealer ahead = _f.Create(o => o.Keys = newer);
        SessionSealer behind = _f.Create();
        Assert.Equal(SealedSessionStatus.UnknownKey, behind.Open<SealedCart>(SealedFixture.Header(Mint(ahead, 1))).Status);
    }

    [Fact]
    public void ALargeSessionIsChunkedWithEveryWholeCookieInsideTheBudget()
    {
        SessionSealer sealer = _f.Create(o => { o.Persistent = true; o.Domain = "example.com"; });
        IReadOnlyList<SealedCookie> cookies = Mint(sealer, 1, SealedFixture.Big(9000));
        Assert.InRange(cookies.Count, 3, 4);
        Assert.Equal(new[] { "cart", "cart.1", "cart.2" }, cookies.Take(3).Select(c => c.Name));
        foreach (SealedCookie c in cookies)
        {
            Assert.True(Encoding.UTF8.GetByteCount(c.SetCookieHeader) <= 4096, $"{c.Name}: {c.SetCookieHeader.Length}");
            Assert.Contains("; Max-Age=", c.SetCookieHeader, StringComparison.Ordinal);
        }

        SealedSession<SealedCart> opened = sealer.Open<SealedCart>(SealedFixture.Header(cookies));
        Assert.Equal(SealedSessionStatus.Opened, opened.Status);
        Assert.Equal(9000, opened.Data.Note.Length);

        // Shrinking deletes the chunks no longer needed, in the same response.
        opened.Data.Note = "small";
        IReadOnlyList<SealedCookie> shrunk = sealer.Seal(opened);
        Assert.Equal("cart", shrunk[0].Name);
        Assert.False(shrunk[0].IsDeletion);
        Assert.All(shrunk.Skip(1), c => Assert.True(c.IsDeletion));
        Assert.Equal(cookies.Count, shrunk.Count);
        Assert.Contains("Max-Age=0", shrunk[^1].SetCookieHeader, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingReorderedDuplicatedAndExtraChunksAreRefused()
    {
        SessionSealer sealer = _f.Create();
        IReadOnlyList<SealedCookie> cookies = Mint(sealer, 1, SealedFixture.Big(7000));
        Assert.Equal(3, cookies.Count);
        string[] pairs = cookies.Select(c => c.Name + "=" + c.Value).ToArray();
        Assert.Equal(SealedSessionStatus.Opened, sealer.Open<SealedCart>(string.Join("; ", pairs)).Status);
        // The browser's order of cookies does not matter...
        Assert.Equal(SealedSessionStatus.Opened, sealer.Open<SealedCart>(string.Join("; ", pairs.Reverse())).Status);

        string missing = string.Join("; ", pairs[0], pairs[2]);
        string missingFirst = string.Join("; ", pairs[1], pairs[2]);
        // ...but a chunk's value under another chunk's name does.
        string reordered = string.Join("; ", pairs[0], "cart.1=" + cookies[2].Value, "cart.2=" + cookies[1].Value);
        string duplicated = string.Join("; ", pairs[0], pairs[1], pairs[1], pairs[2]);
        string duplicatedFirst = string.Join("; ", pairs[0], pairs[0], pairs[1], pairs[2]);
        string extra = string.Join("; ", pairs[0], pairs[1], pairs[2], "cart.3=3.4.AAAA");
        foreach (string header in new[] { missing, missingFirst, reordered, duplicated, duplicatedFirst, extra })
        {
            SealedSession<SealedCart> s = sealer.Open<SealedCart>(header);
            Assert.Equal(SealedSessionStatus.Malformed, s.Status);
            Assert.True(s.IsNew);
        }

        // A chunk of another seal of the same session (same position, same count) fails authentication.
        SealedSession<SealedCart> again = sealer.Open<SealedCart>(string.Join("; ", pairs));
        again.Data.Count = 2;
        IReadOnlyList<SealedCookie> second = sealer.Seal(again);
        Assert.Equal(3, second.Count);
        string mixed = string.Join("; ", pairs[0], second[1].Name + "=" + second[1].Value, pairs[2]);
        Assert.Equal(SealedSessionStatus.Rejected, sealer.Open<SealedCart>(mixed).Status);
    }

    [Fact]
    public void OversizeWithoutAStoreThrowsATypedErrorAndIsCounted()
    {
        SessionSealer sealer = _f.Create(o => o.MaxChunks = 2);
        var refused = new MetricCounter(sealer.Meter, "sessionconnector.sealed.refused");
        var observer = new RecordingObserver();
        SessionSealer observed = _f.Create(o => { o.MaxChunks = 2; o.Observer = observer; });
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(null);
        s.Data.Note = SealedFixture.Big(9000);
        SessionCookieTooLargeException e = Assert.Throws<SessionCookieTooLargeException>(() => sealer.Seal(s));
        Assert.True(e.SealedBytes > e.BudgetBytes);
        Assert.Equal(sealer.ChunkCapacity * 2, e.BudgetBytes);
        Assert.Equal(1, refused.Total);
        Assert.Null(s.CookieId); // nothing was issued

        SealedSession<SealedCart> o2 = observed.Open<SealedCart>(null);
        o2.Data.Note = SealedFixture.Big(9000);
        Assert.Throws<SessionCookieTooLargeException>(() => observed.Seal(o2));
        Assert.Equal(1, observer.Refused);
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public async Task OversizeWithAStoreSpillsAndOpensFromTheStore(StorageKind kind)
    {
        SessionStorageConnector store = _f.Store(kind);
        var observer = new RecordingObserver();
        SessionSealer sealer = _f.Create(o => { o.MaxChunks = 2; o.Store = store; o.Observer = observer; });
        var spilled = new MetricCounter(sealer.Meter, "sessionconnector.sealed.spilled");
        SealedSession<SealedCart> s = await sealer.OpenAsync<SealedCart>(null);
        s.Data.Note = SealedFixture.Big(20_000);
        IReadOnlyList<SealedCookie> cookies = await sealer.SealAsync(s);
        SealedCookie reference = Assert.Single(cookies);
        Assert.True(reference.SetCookieHeader.Length < 400);
        Assert.Equal(1, spilled.Total);
        Assert.Equal(1, observer.Spilled);

        SealedSession<SealedCart> opened = await sealer.OpenAsync<SealedCart>(SealedFixture.Header(cookies));
        Assert.Equal(SealedSessionStatus.Opened, opened.Status);
        Assert.Equal(20_000, opened.Data.Note.Length);

        // Small again: back inline, and the spilled record is deleted.
        opened.Data.Note = "small";
        string inline = SealedFixture.Header(await sealer.SealAsync(opened));
        Assert.Equal("small", (await sealer.OpenAsync<SealedCart>(inline)).Data.Note);
        Assert.Equal(SealedSessionStatus.Undecodable, (await sealer.OpenAsync<SealedCart>(SealedFixture.Header(cookies))).Status);
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public void AReplayAfterSignOutIsRefusedWithAStore(StorageKind kind)
    {
        SessionStorageConnector store = _f.Store(kind);
        SessionSealer sealer = _f.Create(o => o.Store = store);
        string header = SealedFixture.Header(Mint(sealer, 2));
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(header);
        Assert.Equal(SealedSessionStatus.Opened, s.Status);
        IReadOnlyList<SealedCookie> gone = sealer.SignOut(s);
        Assert.True(Assert.Single(gone).IsDeletion);
        Assert.True(s.IsSignedOut);
        Assert.Throws<InvalidOperationException>(() => sealer.Seal(s));

        SealedSession<SealedCart> replay = sealer.Open<SealedCart>(header);
        Assert.Equal(SealedSessionStatus.Revoked, replay.Status);
        Assert.Equal(0, replay.Data.Count);

        // The record lasts as long as the cookie could have, no longer.
        _f.Clock.Advance(TimeSpan.FromHours(8) + TimeSpan.FromSeconds(1));
        Assert.False(store.TryGet<SessionBag>("sealed-revoked." + s.CookieId, out _));
    }

    [Fact]
    public void WithoutAStoreACopiedCookieStaysValidUntilItExpires()
    {
        SessionSealer sealer = _f.Create(o => o.Lifetime = TimeSpan.FromMinutes(30));
        string header = SealedFixture.Header(Mint(sealer, 2));
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(header);
        Assert.Single(sealer.SignOut(s));
        // Documented (docs/sealed.md): without a store nothing remembers the sign-out.
        Assert.Equal(SealedSessionStatus.Opened, sealer.Open<SealedCart>(header).Status);
        _f.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(SealedSessionStatus.Expired, sealer.Open<SealedCart>(header).Status);
    }

    [Fact]
    public void RenewalGivesANewCookieIdKeepsTheDataAndRetiresTheOldCookieWithAStore()
    {
        SessionStorageConnector store = _f.Store(StorageKind.Memory);
        SessionSealer sealer = _f.Create(o => o.Store = store);
        string before = SealedFixture.Header(Mint(sealer, 6));
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(before);
        string? oldId = s.CookieId;
        DateTimeOffset? absolute = s.AbsoluteExpiresAt;
        _f.Clock.Advance(TimeSpan.FromMinutes(5));
        s.Renew();
        string after = SealedFixture.Header(sealer.Seal(s));
        Assert.NotEqual(oldId, s.CookieId);
        SealedSession<SealedCart> renewed = sealer.Open<SealedCart>(after);
        Assert.Equal(SealedSessionStatus.Opened, renewed.Status);
        Assert.Equal(6, renewed.Data.Count);
        Assert.Equal(absolute, renewed.AbsoluteExpiresAt); // a renewal never extends the lifetime
        Assert.Equal(SealedSessionStatus.Revoked, sealer.Open<SealedCart>(before).Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData(";;;;")]
    [InlineData("cart")]
    [InlineData("cart=")]
    [InlineData("cart=;")]
    [InlineData("cart=0.1.")]
    [InlineData("cart=0.1.====")]
    [InlineData("cart=\"0.1.AAAA\"")]
    [InlineData("cart=1.1.AAAA")]
    [InlineData("cart=0.0.AAAA")]
    [InlineData("cart=00.1.AAAA")]
    [InlineData("cart=0.99.AAAA")]
    [InlineData("cart=-0.1.AAAA")]
    [InlineData("cart=0.1.AAAA%00")]
    [InlineData("cart=0.1.\u00e9\u00e9\u00e9\u00e9")]
    [InlineData("cart.0=0.1.AAAA")]
    [InlineData("cart.01=0.1.AAAA")]
    [InlineData("cart.99=0.1.AAAA")]
    [InlineData("cart.1=1.2.AAAA")]
    [InlineData("cart=0.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("cart=0.1.U0VBTA; cart=0.1.U0VBTA")]
    [InlineData("cartx=0.1.AAAA; cart.x=junk; cart.=; =cart")]
    public void HostileCookieHeadersGiveAFreshSessionNeverAnException(string header)
    {
        SessionSealer sealer = _f.Create();
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(header);
        Assert.True(s.IsNew);
        Assert.NotEqual(SealedSessionStatus.Opened, s.Status);
        Assert.Equal(0, s.Data.Count);
    }

    [Fact]
    public void HugeAndControlCharacterHeadersAreRefusedQuickly()
    {
        SessionSealer sealer = _f.Create();
        Assert.Equal(SealedSessionStatus.Malformed, sealer.Open<SealedCart>("cart=0.1." + new string('A', 70_000)).Status);
        Assert.Equal(SealedSessionStatus.Malformed, sealer.Open<SealedCart>("cart=0.1.AA\0AA").Status);
        string many = string.Join("; ", Enumerable.Range(0, 5000).Select(i => $"c{i}=v"));
        Assert.Equal(SealedSessionStatus.None, sealer.Open<SealedCart>(many).Status);
    }

    [Fact]
    public void ANewEncryptionEpochKeepsEarlierCookiesOpen()
    {
        SessionSealer sealer = _f.Create();
        string before = SealedFixture.Header(Mint(sealer, 1));
        sealer.StartNewEncryptionEpoch();
        string after = SealedFixture.Header(Mint(sealer, 2));
        // The salt (blob bytes 34 + 6 .. 34 + 22) differs: the second cookie was sealed under a new subkey.
        byte[] a = SealedCookieFormat.FromBase64Url(before.AsSpan("cart=0.1.".Length))!;
        byte[] b = SealedCookieFormat.FromBase64Url(after.AsSpan("cart=0.1.".Length))!;
        Assert.NotEqual(a.AsSpan(40, 16).ToArray(), b.AsSpan(40, 16).ToArray());
        Assert.Equal(1, sealer.Open<SealedCart>(before).Data.Count);
        Assert.Equal(2, sealer.Open<SealedCart>(after).Data.Count);
    }

    [Fact]
    public void ConstructionFailsClosed()
    {
        Assert.Throws<ArgumentException>(() => new SessionSealer(new SessionSealerOptions { Purpose = "p" }));
        Assert.Throws<ArgumentException>(() => new SessionSealer(new SessionSealerOptions { Keys = _f.Keys }));
        Assert.Throws<ArgumentException>(() => new SessionSealer(new SessionSealerOptions { Keys = _f.Keys, Purpose = "p", Lifetime = null }));
        Assert.Throws<ArgumentException>(() => new SessionSealer(new SessionSealerOptions { Keys = _f.Keys, Purpose = "p", CookieName = "a;b" }));
        Assert.Throws<ArgumentException>(() => new SessionSealer(new SessionSealerOptions { Keys = _f.Keys, Purpose = "p", MaxCookieBytes = 5000 }));
        Assert.Throws<ArgumentException>(() => new SessionSealer(new SessionSealerOptions { Keys = _f.Keys, Purpose = "p", SameSite = "None", Secure = false }));
        Assert.Throws<ArgumentException>(() => new SessionSealer(new SessionSealerOptions { Keys = _f.Keys, Purpose = "p", CookieName = "__Host-s", Path = "/app" }));
    }

    private sealed class RecordingObserver : SealedSessionObserver
    {
        public int Spilled;
        public int Refused;

        public override void SessionSpilled(int sealedBytes, int budgetBytes) => Spilled++;

        public override void SessionRefused(int sealedBytes, int budgetBytes) => Refused++;
    }
}
