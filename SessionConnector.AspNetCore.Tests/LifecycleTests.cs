using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public async Task RenewIssuesANewIdKeepsTheDataAndKillsTheOldId()
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Raw();
        string before = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;

        HttpResponseMessage renew = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/renew").WithCookie(before));
        string? after = renew.IssuedId();
        Assert.NotNull(after);
        Assert.NotEqual(before, after);

        HttpResponseMessage withNew = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(after));
        Assert.Equal("ada", await withNew.Content.ReadAsStringAsync());
        HttpResponseMessage withOld = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(before));
        Assert.Equal(HttpStatusCode.Unauthorized, withOld.StatusCode);
    }

    [Fact]
    public async Task LoginRenewsSoAPreLoginIdIsWorthless()
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Raw();
        string anonymous = (await client.PostAsync("/note?note=cart", null)).IssuedId()!;

        string loggedIn = (await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/login?user=ada").WithCookie(anonymous))).IssuedId()!;
        Assert.NotEqual(anonymous, loggedIn);
        Assert.Null(await app.Connector.GetAsync<TestSession>(anonymous));
        Assert.Equal("cart", (await app.Connector.GetAsync<TestSession>(loggedIn))?.Note);
    }

    [Fact]
    public async Task SignOutExpiresTheCookieAndAReplayedCookieFindsNothing()
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Raw();
        string id = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;

        HttpResponseMessage logout = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/logout").WithCookie(id));
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        string expired = Assert.Single(logout.SetCookies());
        Assert.StartsWith("sid=;", expired);
        Assert.Contains("expires=Thu, 01 Jan 1970", expired, StringComparison.OrdinalIgnoreCase);

        HttpResponseMessage replay = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(id));
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        HttpResponseMessage replayWrite = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/counter").WithCookie(id));
        Assert.Equal(HttpStatusCode.Unauthorized, replayWrite.StatusCode);
        Assert.Null(await app.Connector.GetAsync<TestSession>(id));
    }

    [Fact]
    public async Task IdleTimeoutExpiresAnUnusedSessionAndActivitySlidesIt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TestApp app = await StartOnClock(time, idle: TimeSpan.FromMinutes(20), lifetime: TimeSpan.FromDays(1));
        using HttpClient client = await LoggedIn(app);

        // Used every 15 minutes for an hour: each use past half the idle window slides the expiry.
        for (int i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromMinutes(15));
            Assert.Equal("ada", await (await client.GetAsync("/whoami")).Content.ReadAsStringAsync());
        }

        time.Advance(TimeSpan.FromMinutes(21));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/whoami")).StatusCode);
    }

    [Fact]
    public async Task PersistentCookieIsReissuedOnlyWhenTheIdleExpirySlides()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TestApp app = await StartOnClock(time, idle: TimeSpan.FromMinutes(20), lifetime: TimeSpan.FromDays(1), persistent: true);
        using HttpClient client = await LoggedIn(app);

        time.Advance(TimeSpan.FromMinutes(5));
        HttpResponseMessage early = await client.GetAsync("/whoami");
        Assert.Empty(early.SetCookies());

        time.Advance(TimeSpan.FromMinutes(10)); // 15 of 20 minutes used: the expiry slides, and so must Max-Age
        HttpResponseMessage slid = await client.GetAsync("/whoami");
        string header = Assert.Single(slid.SetCookies());
        int maxAge = int.Parse(header.Split(';', StringSplitOptions.TrimEntries).Single(p => p.StartsWith("max-age=", StringComparison.OrdinalIgnoreCase))[8..]);
        Assert.InRange(maxAge, 20 * 60 - 5, 20 * 60);
    }

    [Fact]
    public async Task AbsoluteLifetimeEndsASessionEvenWhenItIsActive()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TestApp app = await StartOnClock(time, idle: TimeSpan.FromMinutes(40), lifetime: TimeSpan.FromHours(1));
        using HttpClient client = await LoggedIn(app);

        for (int i = 0; i < 2; i++)
        {
            time.Advance(TimeSpan.FromMinutes(25)); // past half the idle window: the expiry slides, but never past the lifetime
            Assert.Equal("ada", await (await client.GetAsync("/whoami")).Content.ReadAsStringAsync());
        }

        time.Advance(TimeSpan.FromMinutes(11)); // 61 minutes after login, only 11 after the last use
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/whoami")).StatusCode);
    }

    [Fact]
    public async Task RenewThatAWriterOnTheOldIdKeepsDefeatingFailsWith409AndTheOldIdDies()
    {
        ObservedStorage? storage = null;
        SessionKeyRing? keys = null;
        await using TestApp app = await TestApp.StartAsync(o => (storage, keys) = (TestApp.Observed(o), o.Connector.Keys));
        using HttpClient client = app.Raw();
        // The attacker writes from another node: writers of one session in one process queue on the connector's gate.
        SessionStorageConnector otherNode = new(storage!, new SessionConnectorOptions { Keys = keys });
        // The attacker's own session, planted in the victim's browser (cookie tossing, a shared machine, ...).
        string planted = (await client.PostAsync("/note?note=attacker", null)).IssuedId()!;

        // The attacker keeps writing the planted ID: every conditional delete of the old ID meets a newer version.
        int writes = 0;
        storage!.BeforeTryDelete = async () => await otherNode.UpdateAsync<TestSession>(planted, s => s.Counter = ++writes);

        HttpResponseMessage login = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/login?user=victim").WithCookie(planted));
        Assert.Equal(HttpStatusCode.Conflict, login.StatusCode);
        Assert.Null(login.IssuedId());
        Assert.True(writes >= 1);
        // The victim's login landed nowhere the attacker can reach: the planted ID is gone.
        Assert.Null(await app.Connector.GetAsync<TestSession>(planted));
        Assert.True(app.Logs.Has(15));

        // Signing in again (the planted cookie now finds nothing) works.
        storage.BeforeTryDelete = null;
        HttpResponseMessage again = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/login?user=victim").WithCookie(planted));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        string fresh = again.IssuedId()!;
        Assert.NotEqual(planted, fresh);
        Assert.Equal("victim", (await app.Connector.GetAsync<TestSession>(fresh))?.User);
        Assert.Null(await app.Connector.GetAsync<TestSession>(planted));
    }

    [Fact]
    public async Task RenewMergesOneConcurrentChangeOnTheOldIdAndMoves()
    {
        ObservedStorage? storage = null;
        SessionKeyRing? keys = null;
        await using TestApp app = await TestApp.StartAsync(o => (storage, keys) = (TestApp.Observed(o), o.Connector.Keys));
        using HttpClient client = app.Raw();
        // Another tab served by another node (one process queues writers of a session on the connector's gate).
        SessionStorageConnector otherNode = new(storage!, new SessionConnectorOptions { Keys = keys });
        string anonymous = (await client.PostAsync("/note?note=cart", null)).IssuedId()!;

        // Another tab commits once while the login copies the session: merged, then the old ID is deleted.
        int writes = 0;
        storage!.BeforeTryDelete = async () =>
        {
            if (writes++ == 0) await otherNode.UpdateAsync<TestSession>(anonymous, s => s.Counter = 7);
        };

        HttpResponseMessage login = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/login?user=ada").WithCookie(anonymous));
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        string renewed = login.IssuedId()!;
        TestSession? saved = await app.Connector.GetAsync<TestSession>(renewed);
        Assert.Equal(("ada", "cart", 7), (saved?.User, saved?.Note, saved?.Counter));
        Assert.Null(await app.Connector.GetAsync<TestSession>(anonymous));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // Clear() before any load: applied when the response commits
    public async Task ClearEmptiesTheSessionAndKeepsItsId(bool load)
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Raw();
        string id = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;
        await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/note?note=x").WithCookie(id));

        HttpResponseMessage cleared = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/clear?load={load}").WithCookie(id));
        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        Assert.Empty(cleared.SetCookies());
        TestSession? saved = await app.Connector.GetAsync<TestSession>(id);
        Assert.NotNull(saved);
        Assert.Equal((null, null), (saved.User, saved.Note));
        HttpResponseMessage whoami = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(id));
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);

        // A visitor with no session who clears it (even after changing it) gets no record and no cookie.
        HttpResponseMessage stranger = await app.Raw().PostAsync($"/clear?load={load}", null);
        Assert.Empty(stranger.SetCookies());
        HttpResponseMessage changedThenCleared = await app.Raw().PostAsync("/clear?load=true&note=x", null);
        Assert.Equal(HttpStatusCode.NoContent, changedThenCleared.StatusCode);
        Assert.Empty(changedThenCleared.SetCookies());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RefreshOnEveryRequestKeepsASessionAliveOnRequestsThatDoNotTouchIt(bool refresh)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TestApp app = await TestApp.StartAsync(o =>
        {
            o.Connector.TimeProvider = time;
            o.UseMemoryStorage();
            o.Session.IdleTimeout = TimeSpan.FromMinutes(20);
            if (refresh) o.RefreshOnEveryRequest<TestSession>();
        });
        using HttpClient client = await LoggedIn(app);

        // Only /ping (which never asks for the session) for 45 minutes, more than twice the idle timeout.
        for (int i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromMinutes(15));
            Assert.Equal("pong", await (await client.GetAsync("/ping")).Content.ReadAsStringAsync());
        }

        time.Advance(TimeSpan.FromMinutes(5));
        HttpResponseMessage whoami = await client.GetAsync("/whoami");
        if (refresh) Assert.Equal("ada", await whoami.Content.ReadAsStringAsync());
        else Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
    }

    private static Task<TestApp> StartOnClock(FakeTimeProvider time, TimeSpan idle, TimeSpan lifetime, bool persistent = false) =>
        TestApp.StartAsync(o =>
        {
            o.Connector.TimeProvider = time;
            o.UseMemoryStorage(); // created after this callback, so it runs on the fake clock too
            o.Session.IdleTimeout = idle;
            o.Session.Lifetime = lifetime;
            o.Cookie.Persistent = persistent;
        });

    private static async Task<HttpClient> LoggedIn(TestApp app)
    {
        HttpClient client = app.Browser(out _);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/login?user=ada", null)).StatusCode);
        return client;
    }
}
