using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

public sealed class CookieTests
{
    [Fact]
    public async Task DefaultCookieIsHttpOnlySecureLaxHostPathBrowserSession()
    {
        // Secure stays at its default here (Production): the header is read raw, no cookie container involved. The
        // prefix is explicitly off: the default prefix has its own test.
        await using TestApp app = await TestApp.StartAsync(o =>
        {
            o.Cookie.SecurePolicy = null;
            o.Cookie.UseHostPrefix = false;
        });
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/login?user=ada", null);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        string header = Assert.Single(login.SetCookies());
        string[] parts = header.Split(';', StringSplitOptions.TrimEntries);
        Assert.StartsWith("sid=", parts[0]);
        Assert.True(SessionIds.IsValid(parts[0][4..]));
        Assert.Equal(43, parts[0].Length - 4);
        Assert.Contains("httponly", parts, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("secure", parts, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", parts, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/", parts, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(parts, p => p.StartsWith("max-age", StringComparison.OrdinalIgnoreCase) || p.StartsWith("expires", StringComparison.OrdinalIgnoreCase) || p.StartsWith("domain", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ConfiguredCookieCarriesNameDomainPathSameSiteAndMaxAgeFromLifetime()
    {
        await using TestApp app = await TestApp.StartAsync(o =>
        {
            o.Cookie.Name = "app";
            o.Cookie.Domain = "example.test";
            o.Cookie.Path = "/shop";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.Persistent = true;
            o.Session.Lifetime = TimeSpan.FromHours(2);
        });
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/login?user=ada", null);

        string[] parts = Assert.Single(login.SetCookies()).Split(';', StringSplitOptions.TrimEntries);
        Assert.StartsWith("app=", parts[0]);
        Assert.Contains("domain=example.test", parts, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/shop", parts, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", parts, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("httponly", parts, StringComparer.OrdinalIgnoreCase);
        int maxAge = int.Parse(parts.Single(p => p.StartsWith("max-age=", StringComparison.OrdinalIgnoreCase))[8..]);
        Assert.InRange(maxAge, 7200 - 60, 7200);
    }

    [Fact]
    public async Task HostPrefixNamesTheCookieAndItIsReadBackUnderThatName()
    {
        await using TestApp app = await TestApp.StartAsync(o =>
        {
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.Cookie.UseHostPrefix = true;
        });
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/login?user=ada", null);
        string? id = login.IssuedId("__Host-sid");
        Assert.NotNull(id);

        HttpResponseMessage whoami = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(id, "__Host-sid"));
        Assert.Equal("ada", await whoami.Content.ReadAsStringAsync());
        // The unprefixed name is not the session cookie: a sibling subdomain cannot plant one.
        HttpResponseMessage tossed = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(id, "sid"));
        Assert.Equal(HttpStatusCode.Unauthorized, tossed.StatusCode);
    }

    [Theory]
    [InlineData(CookieSecurePolicy.None, null, "/")]
    [InlineData(CookieSecurePolicy.SameAsRequest, null, "/")]
    [InlineData(CookieSecurePolicy.Always, "example.test", "/")]
    [InlineData(CookieSecurePolicy.Always, null, "/app")]
    public async Task HostPrefixThatBrowsersWouldDropFailsStartUp(CookieSecurePolicy secure, string? domain, string path)
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestApp.StartAsync(o =>
        {
            o.Cookie.UseHostPrefix = true;
            o.Cookie.SecurePolicy = secure;
            o.Cookie.Domain = domain;
            o.Cookie.Path = path;
        }));
        Assert.Contains("__Host-", e.Message);
    }

    [Fact]
    public async Task SameSiteNoneWithoutSecureFailsStartUp()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestApp.StartAsync(o => o.Cookie.SameSite = SameSiteMode.None));
        Assert.Contains("SameSite=None", e.Message);
    }

    [Fact]
    public async Task RequestsThatDoNotTouchTheSessionDoNoStorageIoAndSetNoCookie()
    {
        ObservedStorage? storage = null;
        await using TestApp app = await TestApp.StartAsync(o => storage = TestApp.Observed(o));
        using HttpClient client = app.Browser(out _);
        HttpResponseMessage login = await client.PostAsync("/login?user=ada", null);
        Assert.NotNull(login.IssuedId());
        int callsAfterLogin = storage!.Calls;

        for (int i = 0; i < 5; i++)
        {
            HttpResponseMessage ping = await client.GetAsync("/ping");
            Assert.Equal("pong", await ping.Content.ReadAsStringAsync());
            Assert.Empty(ping.SetCookies());
        }

        Assert.Equal(callsAfterLogin, storage.Calls);
        // Reading an existing session without changing it sets no cookie either.
        HttpResponseMessage whoami = await client.GetAsync("/whoami");
        Assert.Equal("ada", await whoami.Content.ReadAsStringAsync());
        Assert.Empty(whoami.SetCookies());
        // A visitor whose session is only read (never changed) gets no cookie and leaves no record.
        using HttpClient stranger = app.Raw();
        HttpResponseMessage anonymous = await stranger.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Empty(anonymous.SetCookies());
    }

    [Fact]
    public async Task ChangingAnExistingSessionKeepsItsIdAndSetsNoCookie()
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Browser(out _);
        await client.PostAsync("/login?user=ada", null);

        HttpResponseMessage note = await client.PostAsync("/note?note=x", null);
        Assert.Equal(HttpStatusCode.OK, note.StatusCode);
        Assert.Empty(note.SetCookies());
        HttpResponseMessage count = await client.PostAsync("/counter", null);
        Assert.Equal("1", await count.Content.ReadAsStringAsync());
        Assert.Empty(count.SetCookies());
    }

    [Fact]
    public async Task InProductionTheCookieIsSecureAndHostPrefixedByDefault()
    {
        await using TestApp app = await TestApp.StartAsync(o => o.Cookie.SecurePolicy = null); // every default, Production
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/login?user=ada", null);
        string[] parts = Assert.Single(login.SetCookies()).Split(';', StringSplitOptions.TrimEntries);
        Assert.StartsWith("__Host-sid=", parts[0]);
        Assert.Contains("secure", parts, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/", parts, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(parts, p => p.StartsWith("domain", StringComparison.OrdinalIgnoreCase));
        string id = login.IssuedId("__Host-sid")!;
        HttpResponseMessage whoami = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(id, "__Host-sid"));
        Assert.Equal("ada", await whoami.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(false, null, "/")]             // the documented opt-out
    [InlineData(null, "example.test", "/")]    // a Domain cookie cannot be __Host-: the default leaves the name alone
    [InlineData(null, null, "/app")]           // nor can a cookie for a sub-path
    public async Task TheHostPrefixIsLeftOutWhenOptedOutOrInvalid(bool? prefix, string? domain, string path)
    {
        await using TestApp app = await TestApp.StartAsync(o =>
        {
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.Cookie.UseHostPrefix = prefix;
            o.Cookie.Domain = domain;
            o.Cookie.Path = path;
        });
        using HttpClient client = app.Raw();
        var login = new HttpRequestMessage(HttpMethod.Post, "/login?user=ada");
        HttpResponseMessage response = await client.SendAsync(login);
        Assert.StartsWith("sid=", Assert.Single(response.SetCookies()));
    }

    [Fact]
    public async Task InDevelopmentOverPlainHttpABrowserKeepsItsSession()
    {
        // The new user's first run: Development, every cookie default, http://127.0.0.1, a cookie-keeping client.
        await using TestApp app = await TestApp.StartAsync(o => o.Cookie.SecurePolicy = null, environment: "Development");
        using HttpClient client = app.Browser(out _);
        HttpResponseMessage login = await client.PostAsync("/login?user=ada", null);
        Assert.DoesNotContain("secure", Assert.Single(login.SetCookies()), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("ada", await (await client.GetAsync("/whoami")).Content.ReadAsStringAsync());
        Assert.Equal("1", await (await client.PostAsync("/counter", null)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task InDevelopmentASecureCookieOverPlainHttpIsLoggedWithTheFix()
    {
        await using TestApp app = await TestApp.StartAsync(o => o.Cookie.SecurePolicy = CookieSecurePolicy.Always, environment: "Development");
        using HttpClient client = app.Browser(out _);
        await client.PostAsync("/login?user=ada", null);
        Assert.Contains(app.Logs.Entries, e => e.Id.Id == 14 && e.Message.Contains("SameAsRequest", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(CookieSecurePolicy.Always, false, true)]
    [InlineData(CookieSecurePolicy.None, true, false)]
    [InlineData(CookieSecurePolicy.SameAsRequest, false, false)]
    [InlineData(CookieSecurePolicy.SameAsRequest, true, true)]
    public async Task SecurePolicyDecidesTheSecureAttribute(CookieSecurePolicy policy, bool https, bool secure)
    {
        // HTTPS as a TLS-terminating proxy reports it (X-Forwarded-Proto from loopback, through UseForwardedHeaders).
        await using TestApp app = await TestApp.StartAsync(
            o =>
            {
                o.Cookie.SecurePolicy = policy;
                o.Cookie.UseHostPrefix = false;
            },
            outer: a => a.UseForwardedHeaders(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedProto }));
        using HttpClient client = app.Raw();
        var login = new HttpRequestMessage(HttpMethod.Post, "/login?user=ada");
        if (https) login.Headers.Add("X-Forwarded-Proto", "https");
        string[] parts = Assert.Single((await client.SendAsync(login)).SetCookies()).Split(';', StringSplitOptions.TrimEntries);
        Assert.Equal(secure, parts.Contains("secure", StringComparer.OrdinalIgnoreCase));
    }
}
