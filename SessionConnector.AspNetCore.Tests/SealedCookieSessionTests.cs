using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

/// <summary>Sealed-cookie storage (UseSealedCookies) on a real Kestrel, through the unchanged RequestSession API.</summary>
public sealed class SealedCookieSessionTests
{
    private static Task<TestApp> StartSealed(Action<SessionConnectorWebOptions>? more = null) =>
        TestApp.StartAsync(
            o =>
            {
                o.UseSealedCookies("tests/web");
                more?.Invoke(o);
            },
            // Long notes travel in the query string.
            builderHook: b => b.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestLineSize = 64 * 1024));

    /// <summary>The Cookie header a browser would send back after <paramref name="response"/> (deletions dropped).</summary>
    private static string Jar(HttpResponseMessage response, string? previous = null)
    {
        var jar = new Dictionary<string, string>(StringComparer.Ordinal);
        if (previous is not null)
        {
            foreach (string pair in previous.Split("; ", StringSplitOptions.RemoveEmptyEntries)) jar[pair[..pair.IndexOf('=')]] = pair;
        }

        foreach (string header in response.SetCookies())
        {
            string first = header.Split(';')[0];
            string name = first[..first.IndexOf('=')];
            if (header.Contains("Max-Age=0", StringComparison.Ordinal)) jar.Remove(name);
            else jar[name] = first;
        }

        return string.Join("; ", jar.Values);
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string url, string? cookie)
    {
        var request = new HttpRequestMessage(method, url);
        if (!string.IsNullOrEmpty(cookie)) request.Headers.TryAddWithoutValidation("Cookie", cookie);
        return client.SendAsync(request);
    }

    [Fact]
    public async Task LoginCounterAndLogoutWorkOnSealedCookiesThroughTheSameApi()
    {
        await using TestApp app = await StartSealed();
        using HttpClient browser = app.Browser(out CookieContainer jar);
        HttpResponseMessage login = await browser.PostAsync("/login?user=ada", null);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        string setCookie = Assert.Single(login.SetCookies());
        Assert.StartsWith("sid=0.1.", setCookie, StringComparison.Ordinal);
        Assert.Contains("HttpOnly", setCookie, StringComparison.Ordinal);

        Assert.Equal("1", await (await browser.PostAsync("/counter", null)).Content.ReadAsStringAsync());
        Assert.Equal("2", await (await browser.PostAsync("/counter", null)).Content.ReadAsStringAsync());
        Assert.Equal("ada", await browser.GetStringAsync("/whoami"));

        Assert.Equal(HttpStatusCode.NoContent, (await browser.PostAsync("/logout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/whoami")).StatusCode);
    }

    [Fact]
    public async Task AReplayedCookieAfterLogoutIsRefusedWithAStore()
    {
        await using TestApp app = await StartSealed(o => o.UseMemoryStorage());
        using HttpClient client = app.Raw();
        string cookie = Jar(await Send(client, HttpMethod.Post, "/login?user=ada", null));
        Assert.Equal(HttpStatusCode.OK, (await Send(client, HttpMethod.Get, "/whoami", cookie)).StatusCode);
        HttpResponseMessage logout = await Send(client, HttpMethod.Post, "/logout", cookie);
        Assert.Contains(logout.SetCookies(), h => h.StartsWith("sid=;", StringComparison.Ordinal) && h.Contains("Max-Age=0", StringComparison.Ordinal));

        HttpResponseMessage replay = await Send(client, HttpMethod.Get, "/whoami", cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
    }

    [Fact]
    public async Task WithoutAStoreAReplayedCookieStaysValidUntilItExpires()
    {
        await using TestApp app = await StartSealed();
        using HttpClient client = app.Raw();
        string cookie = Jar(await Send(client, HttpMethod.Post, "/login?user=ada", null));
        await Send(client, HttpMethod.Post, "/logout", cookie);
        // The documented limit of sealed cookies without a store (docs/sealed.md): the copy still opens.
        Assert.Equal("ada", await (await Send(client, HttpMethod.Get, "/whoami", cookie)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task LoginRenewsTheCookieAndACookieFromBeforeLoginIsRetiredWithAStore()
    {
        await using TestApp app = await StartSealed(o => o.UseMemoryStorage());
        using HttpClient client = app.Raw();
        string before = Jar(await Send(client, HttpMethod.Post, "/note?note=pre", null));
        Assert.NotEmpty(before);
        string after = Jar(await Send(client, HttpMethod.Post, "/login?user=ada", before), before);
        Assert.NotEqual(before, after);
        Assert.Equal("ada", await (await Send(client, HttpMethod.Get, "/whoami", after)).Content.ReadAsStringAsync());
        // The pre-login cookie (a planted or observed one) is refused after the login.
        string replayed = await (await Send(client, HttpMethod.Post, "/note?note=x", before)).Content.ReadAsStringAsync();
        Assert.Equal("noted", replayed);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, HttpMethod.Get, "/whoami", before)).StatusCode);
    }

    [Fact]
    public async Task SignOutEverywhereEndsEverySealedCookieOfThePrincipalOnly()
    {
        await using TestApp app = await TestApp.StartAsync(
            o =>
            {
                o.UseSealedCookies("tests/web");
                o.UseMemoryStorage();
            },
            endpoints: a =>
            {
                a.MapPost("/bind", async (HttpContext context, string user) =>
                {
                    RequestSession<TestSession> session = context.GetSession<TestSession>();
                    (await session.GetAsync()).User = user;
                    await session.RenewAsync(user, "test");
                    return Results.Text(session.IsBound ? "bound" : "unbound");
                });
                a.MapPost("/everywhere", async (HttpContext context) =>
                {
                    await context.GetSession<TestSession>().SignOutEverywhereAsync();
                    return Results.NoContent();
                });
            });
        using HttpClient client = app.Raw();
        HttpResponseMessage first = await Send(client, HttpMethod.Post, "/bind?user=ada", null);
        Assert.Equal("bound", await first.Content.ReadAsStringAsync());
        string ada1 = Jar(first);
        string ada2 = Jar(await Send(client, HttpMethod.Post, "/bind?user=ada", null));
        string bob = Jar(await Send(client, HttpMethod.Post, "/bind?user=bob", null));
        Assert.Equal("ada", await (await Send(client, HttpMethod.Get, "/whoami", ada2)).Content.ReadAsStringAsync());

        HttpResponseMessage everywhere = await Send(client, HttpMethod.Post, "/everywhere", ada1);
        Assert.Equal(HttpStatusCode.NoContent, everywhere.StatusCode);
        Assert.Contains(everywhere.SetCookies(), h => h.StartsWith("sid=;", StringComparison.Ordinal));

        // The other browser's cookie, never presented at the sign-out, is refused too; another user's is not.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, HttpMethod.Get, "/whoami", ada2)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, HttpMethod.Get, "/whoami", ada1)).StatusCode);
        Assert.Equal("bob", await (await Send(client, HttpMethod.Get, "/whoami", bob)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ALargeSessionIsChunkedOverCookiesThatEachFitTheBrowserLimit()
    {
        await using TestApp app = await StartSealed();
        using HttpClient browser = app.Browser(out CookieContainer jar);
        await browser.PostAsync("/login?user=ada", null);
        HttpResponseMessage note = await browser.PostAsync("/note?note=" + new string('n', 7000), null);
        Assert.Equal(HttpStatusCode.OK, note.StatusCode);
        string[] cookies = note.SetCookies();
        Assert.True(cookies.Length >= 2, string.Join(" | ", cookies));
        Assert.All(cookies, c => Assert.True(c.Length <= 4096, $"{c.Length} bytes"));
        // A real cookie jar sends the chunks back and the session opens.
        Assert.Equal("ada", await browser.GetStringAsync("/whoami"));
    }

    [Fact]
    public async Task OversizeWithoutAStoreIsA500WithNoCookieAndALogLine()
    {
        await using TestApp app = await StartSealed();
        using HttpClient client = app.Raw();
        HttpResponseMessage response = await Send(client, HttpMethod.Post, "/note?note=" + new string('n', 30_000), null);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(response.SetCookies());
        Assert.True(app.Logs.Has(21));
    }

    [Fact]
    public async Task OversizeWithAStoreSpillsAndTheSessionStillOpens()
    {
        await using TestApp app = await StartSealed(o => o.UseMemoryStorage());
        using HttpClient client = app.Raw();
        string cookie = Jar(await Send(client, HttpMethod.Post, "/login?user=ada", null));
        HttpResponseMessage big = await Send(client, HttpMethod.Post, "/note?note=" + new string('n', 30_000), cookie);
        Assert.Equal(HttpStatusCode.OK, big.StatusCode);
        string reference = Assert.Single(big.SetCookies());
        Assert.True(reference.Length < 400);
        Assert.True(app.Logs.Has(20));
        Assert.Equal("ada", await (await Send(client, HttpMethod.Get, "/whoami", Jar(big, cookie))).Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("sid=")]
    [InlineData("sid=0.1.AAAA")]
    [InlineData("sid=0.2.AAAA; sid.1=1.2.AAAA")]
    [InlineData("sid=0.1.AAAA; sid=0.1.BBBB")]
    [InlineData("sid=\u03a9mega-sess\u00efon")]
    [InlineData("sid=../../../etc/passwd")]
    [InlineData("sid.1=1.2.AAAA")]
    [InlineData("sid=0.16.AAAA")]
    public async Task HostileCookieHeadersGetAFreshSessionNeverAnError(string header)
    {
        await using TestApp app = await StartSealed();
        using HttpClient client = app.Raw();
        HttpResponseMessage read = await Send(client, HttpMethod.Get, "/whoami", header);
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        HttpResponseMessage login = await Send(client, HttpMethod.Post, "/login?user=ada", header);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal("ada", await (await Send(client, HttpMethod.Get, "/whoami", Jar(login))).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ACookieOfAnotherPurposeDoesNotOpen()
    {
        // Two apps with one key ring, different purposes: the admin app's cookie means nothing to the shop.
        byte[] secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        using var keys = SessionKeyRing.FromSecret(secret);
        await using TestApp admin = await TestApp.StartAsync(o => { o.Connector.Keys = keys; o.UseSealedCookies("tests/admin"); });
        await using TestApp shop = await TestApp.StartAsync(o => { o.Connector.Keys = keys; o.UseSealedCookies("tests/shop"); });
        using HttpClient a = admin.Raw();
        using HttpClient s = shop.Raw();
        string cookie = Jar(await Send(a, HttpMethod.Post, "/login?user=root", null));
        Assert.Equal("root", await (await Send(a, HttpMethod.Get, "/whoami", cookie)).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(s, HttpMethod.Get, "/whoami", cookie)).StatusCode);
    }

    [Fact]
    public async Task StorageCookieInConfigurationChoosesSealedCookies()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SessionConnector:Storage"] = "Cookie",
            ["SessionConnector:Purpose"] = "tests/config",
            ["SessionConnector:Keys"] = "1:" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["SessionConnector:Cookie:Secure"] = "false",
        }).Build();
        await using TestApp app = await TestApp.StartAsync(configuration: configuration);
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await Send(client, HttpMethod.Post, "/login?user=ada", null);
        Assert.StartsWith("sid=0.1.", Assert.Single(login.SetCookies()), StringComparison.Ordinal);
        Assert.Equal("ada", await (await Send(client, HttpMethod.Get, "/whoami", Jar(login))).Content.ReadAsStringAsync());
    }
}
