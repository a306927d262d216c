using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Support;
using SessionConnector.Sealing;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>Sealed cookies with Redis as the revocation store, on two nodes (two connectors and two sealers, one server).</summary>
[Collection(RedisCollection.Name)]
public sealed class SealedCookieRedisTests
{
    // Each node's cache would serve for five minutes: only invalidations can make the other node see a sign-out in time.
    private static readonly TimeSpan LongCache = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan PropagationBound = TimeSpan.FromSeconds(2);
    private readonly RedisServer _server;

    public SealedCookieRedisTests(RedisServer server) => _server = server;

    private static SessionSealer Sealer(SessionKeyRing keys, SessionStorageConnector store) => new(new SessionSealerOptions
    {
        Keys = keys,
        Purpose = "tests/redis",
        CookieName = "sid",
        Lifetime = TimeSpan.FromHours(1),
        Store = store,
    });

    private static string Header(System.Collections.Generic.IEnumerable<SealedCookie> cookies) =>
        string.Join("; ", cookies.Where(c => !c.IsDeletion).Select(c => c.Name + "=" + c.Value));

    /// <summary>Polls <paramref name="sealer"/> until the cookie stops opening, then checks it never opens again.</summary>
    private static async Task AssertRefusedSoon(SessionSealer sealer, string header)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < PropagationBound && (await sealer.OpenAsync<SessionBag>(header)).Status == SealedSessionStatus.Opened) await Task.Delay(5);
        Assert.Equal(SealedSessionStatus.Revoked, (await sealer.OpenAsync<SessionBag>(header)).Status);
        for (int i = 0; i < 20; i++) Assert.Equal(SealedSessionStatus.Revoked, (await sealer.OpenAsync<SessionBag>(header)).Status);
    }

    [Fact]
    public async Task SignOutRecordsTheCookieIdAndAReplayIsRefusedOnBothNodes()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret, LongCache);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret, LongCache);
        using var keys = SessionKeyRing.FromSecret(secret);
        using SessionSealer nodeA = Sealer(keys, a);
        using SessionSealer nodeB = Sealer(keys, b);

        SealedSession<SessionBag> fresh = await nodeA.OpenAsync<SessionBag>(null);
        fresh.Data["user"] = "ada";
        string cookie = Header(await nodeA.SealAsync(fresh));
        SealedSession<SessionBag> onB = await nodeB.OpenAsync<SessionBag>(cookie);
        Assert.Equal(SealedSessionStatus.Opened, onB.Status);
        Assert.Equal("ada", onB.Data["user"]);

        SealedSession<SessionBag> onA = await nodeA.OpenAsync<SessionBag>(cookie);
        Assert.True((await nodeA.SignOutAsync(onA)).Single().IsDeletion);

        // The record is in Redis, with the cookie's remaining lifetime as its time to live.
        Assert.True((await b.TryGetAsync<SessionBag>("sealed-revoked." + onA.CookieId)).Found);
        Assert.Equal(SealedSessionStatus.Revoked, (await nodeA.OpenAsync<SessionBag>(cookie)).Status);
        await AssertRefusedSoon(nodeB, cookie);
    }

    [Fact]
    public async Task SignOutEverywhereOnOneNodeEndsBoundCookiesOnTheOther()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret, LongCache);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret, LongCache);
        using var keys = SessionKeyRing.FromSecret(secret);
        using SessionSealer nodeA = Sealer(keys, a);
        using SessionSealer nodeB = Sealer(keys, b);

        SealedSession<SessionBag> login = await nodeB.OpenAsync<SessionBag>(null);
        login.BindPrincipal("ada");
        string bound = Header(await nodeB.SealAsync(login, force: true));
        SealedSession<SessionBag> other = await nodeB.OpenAsync<SessionBag>(null);
        other.BindPrincipal("bob");
        string bob = Header(await nodeB.SealAsync(other, force: true));
        // Node b now has ada's generation cached.
        Assert.Equal(SealedSessionStatus.Opened, (await nodeB.OpenAsync<SessionBag>(bound)).Status);

        await a.SignOutEverywhereAsync("ada");

        await AssertRefusedSoon(nodeB, bound);
        Assert.Equal(SealedSessionStatus.Revoked, (await nodeA.OpenAsync<SessionBag>(bound)).Status);
        Assert.Equal(SealedSessionStatus.Opened, (await nodeB.OpenAsync<SessionBag>(bob)).Status);
    }
}
