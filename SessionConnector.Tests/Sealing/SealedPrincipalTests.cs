using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using SessionConnector.Sealing;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Sealing;

/// <summary>Sign out everywhere for sealed cookies: the principal stamp inside the sealed payload against the generation in the store.</summary>
public sealed class SealedPrincipalTests : IDisposable
{
    private readonly SealedFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static string MintBound(SessionSealer sealer, string principalId, int count = 1)
    {
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(null);
        s.Data.Count = count;
        s.BindPrincipal(principalId);
        Assert.True(s.IsBound);
        return SealedFixture.Header(sealer.Seal(s));
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public void SignOutEverywhereFromTheConnectorRevokesThatPrincipalsSealedCookiesOnly(StorageKind kind)
    {
        SessionStorageConnector store = _f.Store(kind);
        SessionSealer sealer = _f.Create(o => o.Store = store);
        string alice1 = MintBound(sealer, "alice", 1);
        string alice2 = MintBound(sealer, "alice", 2);
        string bob = MintBound(sealer, "bob", 3);
        SealedSession<SealedCart> plain = sealer.Open<SealedCart>(null);
        plain.Data.Count = 4;
        string unbound = SealedFixture.Header(sealer.Seal(plain));

        SealedSession<SealedCart> opened = sealer.Open<SealedCart>(alice1);
        Assert.Equal(SealedSessionStatus.Opened, opened.Status);
        Assert.True(opened.IsBound);
        Assert.Equal(1, opened.Data.Count);
        Assert.False(sealer.Open<SealedCart>(unbound).IsBound);

        store.SignOutEverywhere("alice");

        Assert.Equal(SealedSessionStatus.Revoked, sealer.Open<SealedCart>(alice1).Status);
        Assert.Equal(SealedSessionStatus.Revoked, sealer.Open<SealedCart>(alice2).Status);
        Assert.Equal(0, sealer.Open<SealedCart>(alice2).Data.Count);
        Assert.Equal(3, sealer.Open<SealedCart>(bob).Data.Count);
        Assert.Equal(4, sealer.Open<SealedCart>(unbound).Data.Count);

        // A new login after the bump is bound to the new generation and opens.
        Assert.Equal(SealedSessionStatus.Opened, sealer.Open<SealedCart>(MintBound(sealer, "alice")).Status);
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public async Task SignOutEverywhereFromASealedSessionEndsStoredSessionsAndOtherCookies(StorageKind kind)
    {
        SessionStorageConnector store = _f.Store(kind);
        SessionSealer sealer = _f.Create(o => o.Store = store);
        string stored = SessionIds.Generate();
        Assert.True(await store.SetAsync(stored, new SessionBag(), TimeSpan.FromHours(1)));
        Assert.True(await store.BindPrincipalAsync(stored, "carol"));
        Assert.True((await store.TryGetAsync<SessionBag>(stored)).Found);

        string other = MintBound(sealer, "carol");
        SealedSession<SealedCart> here = await sealer.OpenAsync<SealedCart>(MintBound(sealer, "carol"));
        Assert.Equal(SealedSessionStatus.Opened, here.Status);

        IReadOnlyList<SealedCookie> gone = await sealer.SignOutEverywhereAsync(here);
        Assert.All(gone, c => Assert.True(c.IsDeletion));
        Assert.True(here.IsSignedOut);
        Assert.False((await store.TryGetAsync<SessionBag>(stored)).Found);
        Assert.Equal(SealedSessionStatus.Revoked, (await sealer.OpenAsync<SealedCart>(other)).Status);
    }

    [Fact]
    public void SignOutEverywhereRightAfterBindingInTheSameRequestEndsThePrincipalsOtherCookies()
    {
        SessionStorageConnector store = _f.Store(StorageKind.Memory);
        SessionSealer sealer = _f.Create(o => o.Store = store);
        string earlier = MintBound(sealer, "hank");
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(null);
        s.BindPrincipal("hank");
        sealer.SignOutEverywhere(s);
        Assert.Equal(SealedSessionStatus.Revoked, sealer.Open<SealedCart>(earlier).Status);
    }

    [Fact]
    public void AResealedBoundSessionKeepsItsStampSoALaterBumpStillEndsIt()
    {
        SessionStorageConnector store = _f.Store(StorageKind.Memory);
        SessionSealer sealer = _f.Create(o => o.Store = store);
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(MintBound(sealer, "dave"));
        s.Data.Count = 9;
        string resealed = SealedFixture.Header(sealer.Seal(s));
        SealedSession<SealedCart> again = sealer.Open<SealedCart>(resealed);
        Assert.True(again.IsBound);
        Assert.Equal(9, again.Data.Count);

        store.SignOutEverywhere("dave");
        Assert.Equal(SealedSessionStatus.Revoked, sealer.Open<SealedCart>(resealed).Status);
    }

    [Fact]
    public void ASpilledBoundSessionIsRevokedToo()
    {
        SessionStorageConnector store = _f.Store(StorageKind.File);
        SessionSealer sealer = _f.Create(o => { o.Store = store; o.MaxChunks = 1; });
        SealedSession<SealedCart> s = sealer.Open<SealedCart>(null);
        s.Data.Note = SealedFixture.Big(10_000);
        s.BindPrincipal("erin");
        string header = SealedFixture.Header(sealer.Seal(s));
        SealedSession<SealedCart> opened = sealer.Open<SealedCart>(header);
        Assert.Equal(10_000, opened.Data.Note.Length);
        Assert.True(opened.IsBound);

        store.SignOutEverywhere("erin");
        Assert.Equal(SealedSessionStatus.Revoked, sealer.Open<SealedCart>(header).Status);
    }

    [Fact]
    public void BindingWithoutAStoreThrowsAndABoundCookieDoesNotOpenWithoutOne()
    {
        SessionSealer bare = _f.Create();
        SealedSession<SealedCart> s = bare.Open<SealedCart>(null);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => s.BindPrincipal("frank"));
        Assert.Contains("needs a store", e.Message, StringComparison.Ordinal);
        Assert.False(s.IsBound);

        // Same keys, purpose and name, but no store: nothing could say whether the principal signed out, so it fails closed.
        SessionStorageConnector store = _f.Store(StorageKind.Memory);
        string bound = MintBound(_f.Create(o => o.Store = store), "frank");
        Assert.Equal(SealedSessionStatus.Revoked, bare.Open<SealedCart>(bound).Status);
    }

    [Fact]
    public void EveryAlteredByteOfABoundCookieIsRefused()
    {
        SessionStorageConnector store = _f.Store(StorageKind.Memory);
        SessionSealer sealer = _f.Create(o => o.Store = store);
        string header = MintBound(sealer, "gina");
        string value = header["cart=".Length..];
        int start = value.LastIndexOf('.') + 1;
        for (int i = start; i < value.Length; i++)
        {
            char c = value[i] == 'A' ? 'B' : 'A';
            string altered = "cart=" + value[..i] + c + value[(i + 1)..];
            Assert.NotEqual(SealedSessionStatus.Opened, sealer.Open<SealedCart>(altered).Status);
        }
    }
}
