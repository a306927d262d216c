using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

public sealed class HeaderTransportTests
{
    private static Task<TestApp> StartAsync(Action<SessionConnectorWebOptions>? configure = null) =>
        TestApp.StartAsync(configure, endpoints: app => GameEndpoints.Map(app));

    private static async Task<string> LoginAsync(HttpClient client, string user = "ada")
    {
        HttpResponseMessage login = await client.PostAsync($"/game/login?user={user}", null);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        return login.Token()!;
    }

    [Fact]
    public async Task LoginOnAHeaderRouteReturnsTheTokenInAHeaderAndSetsNoCookie()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/game/login?user=ada", null);

        Assert.True(SessionIds.IsValid(login.Token()));
        Assert.Empty(login.SetCookies());
        Assert.Contains("no-store", login.Headers.CacheControl?.ToString());
        HttpResponseMessage whoami = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/game/whoami").Bearer(login.Token()!));
        Assert.Equal("ada", await whoami.Content.ReadAsStringAsync());
        Assert.Null(whoami.Token()); // unchanged ID: nothing re-issued
    }

    [Fact]
    public async Task AnUnknownTokenNeverBecomesASession()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        string planted = SessionIds.Generate();

        HttpResponseMessage write = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/game/note?note=x").Bearer(planted));
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        Assert.NotNull(write.Token());
        Assert.NotEqual(planted, write.Token());
        HttpResponseMessage read = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/game/whoami").Bearer(planted));
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
    }

    [Theory]
    [InlineData("Basic YWRhOnB3")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer ../../etc/passwd")]
    [InlineData("Bearer a/b")]
    [InlineData("Bearer .hidden")]
    [InlineData("Bearer %2e%2e")]
    [InlineData("Bearer a\tb")]
    [InlineData("Bearer ü")]
    public async Task HostileAuthorizationValuesGetAFreshSessionNeverA500(string value)
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        var request = new HttpRequestMessage(HttpMethod.Post, "/game/note?note=x");
        request.Headers.TryAddWithoutValidation("Authorization", value);

        HttpResponseMessage response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(SessionIds.IsValid(response.Token()));
        Assert.Empty(response.SetCookies());
    }

    [Fact]
    public async Task AnOversizedTokenOrTwoTokensGetAFreshSession()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        string token = await LoginAsync(client);

        HttpResponseMessage huge = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/game/whoami").Bearer(new string('a', 5000)));
        Assert.Equal(HttpStatusCode.Unauthorized, huge.StatusCode);
        // Two Authorization values: no way to tell which one the server issued, so neither is trusted.
        var two = new HttpRequestMessage(HttpMethod.Get, "/game/whoami");
        two.Headers.TryAddWithoutValidation("Authorization", ["Bearer " + token, "Bearer " + SessionIds.Generate()]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(two)).StatusCode);
    }

    [Fact]
    public async Task RenewReturnsTheNewTokenAndKillsTheOld()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        string before = await LoginAsync(client);

        HttpResponseMessage renew = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/game/renew").Bearer(before));
        string after = renew.Token()!;
        Assert.NotEqual(before, after);
        Assert.Equal("ada", await (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/game/whoami").Bearer(after))).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/game/whoami").Bearer(before))).StatusCode);
    }

    [Fact]
    public async Task SignOutEndsTheTokenAndAnswersTheHeaderEmpty()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        string token = await LoginAsync(client);

        HttpResponseMessage logout = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/game/logout").Bearer(token));
        Assert.Equal(string.Empty, logout.Token());
        Assert.Empty(logout.SetCookies());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/game/whoami").Bearer(token))).StatusCode);
    }

    [Fact]
    public async Task CookieRoutesIgnoreTheHeaderAndHeaderRoutesIgnoreTheCookie()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        string token = await LoginAsync(client);
        string cookie = (await client.PostAsync("/login?user=bob", null)).IssuedId()!;

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").Bearer(token))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/game/whoami").WithCookie(cookie))).StatusCode);
    }

    [Fact]
    public async Task ANamedHeaderChosenForTheAppReplacesTheCookieEverywhere()
    {
        await using TestApp app = await TestApp.StartAsync(o => o.UseHeaderTransport("X-Session", "X-Session"));
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/login?user=ada", null);
        Assert.Empty(login.SetCookies());
        string token = login.Headers.GetValues("X-Session").Single();

        var whoami = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        whoami.Headers.TryAddWithoutValidation("X-Session", token);
        Assert.Equal("ada", await (await client.SendAsync(whoami)).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(token))).StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Bad Header")]
    [InlineData("Cookie")]
    public void AnInvalidHeaderNameIsRefused(string name) =>
        Assert.Throws<ArgumentException>(() => new SessionTokenHeader(name));

    [Fact]
    public async Task InAnAppOnSealedCookiesHeaderRoutesKeepStoredSessions()
    {
        await using TestApp app = await StartAsync(o => o.UseSealedCookies("tests/header").UseMemoryStorage());
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/game/login?user=ada", null);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Empty(login.SetCookies());
        string token = login.Token()!;
        Assert.Equal("ada", (await app.Connector.GetAsync<TestSession>(token))?.User);
        Assert.Equal("ada", await (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/game/whoami").Bearer(token))).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SealedCookiesWithoutAStoreRefuseTheHeaderTransportAtStartUp()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestApp.StartAsync(o => o.UseSealedCookies("tests/header").UseHeaderTransport()));
        Assert.Contains("sealed cookies without one", error.Message);
    }
}
