using System;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

public sealed class HostileCookieTests
{
    public static TheoryData<string> Corpus() => new()
    {
        "",
        new string('a', 10 * 1024),                 // 10 KB: well-formed characters, far over the ID limit
        new string('A', 257),
        "Ωmega-sessïon-🍪",                         // non-ASCII (sent as UTF-8)
        "../../../etc/passwd",
        "..",
        ".hidden",
        "..%2f..%2fetc%2fpasswd",
        "%00",
        "a b",
        "\"quoted\"",
        "id\\with\\backslashes",
        "<script>alert(1)</script>",
        "sid=nested",
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task MalformedCookieGetsAFreshSessionNeverAnError(string value)
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Raw();

        HttpResponseMessage read = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(value));
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        Assert.Empty(read.SetCookies());

        HttpResponseMessage login = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/login?user=ada").WithCookie(value));
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        string? issued = login.IssuedId();
        Assert.NotNull(issued);
        Assert.NotEqual(value, issued);
        Assert.Equal(43, issued.Length);

        HttpResponseMessage whoami = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(issued));
        Assert.Equal("ada", await whoami.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AttackerChosenIdIsReplacedAndNeverStored()
    {
        await using TestApp app = await TestApp.StartAsync(o => o.Cookie.SecurePolicy = CookieSecurePolicy.None);
        using HttpClient client = app.Raw();
        const string planted = "attacker-chosen-session-id_0123456789abcdefg";
        Assert.True(SessionIds.IsValid(planted));

        // A change that is not a login (no Renew): the unknown ID must still not be adopted.
        HttpResponseMessage note = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/note?note=x").WithCookie(planted));
        Assert.Equal(HttpStatusCode.OK, note.StatusCode);
        string? issued = note.IssuedId();
        Assert.NotNull(issued);
        Assert.NotEqual(planted, issued);
        Assert.Null(await app.Connector.GetAsync<TestSession>(planted));
        Assert.Equal("x", (await app.Connector.GetAsync<TestSession>(issued))?.Note);
    }

    [Theory]
    [InlineData(true)]  // the planted cookie first (a Domain cookie from a sibling subdomain)
    [InlineData(false)] // the planted cookie last
    public async Task DuplicateSessionCookiesAreNoSessionSoThePlantedOneNeverWins(bool plantedFirst)
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Raw();
        string victim = (await client.PostAsync("/login?user=victim", null)).IssuedId()!;
        string planted = (await client.PostAsync("/login?user=attacker", null)).IssuedId()!;
        string header = plantedFirst ? $"sid={planted}; sid={victim}" : $"sid={victim}; SID={planted}";

        var whoami = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        whoami.Headers.TryAddWithoutValidation("Cookie", header);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(whoami)).StatusCode);

        // A change made with the ambiguous header lands in a fresh session, never in either presented one.
        var note = new HttpRequestMessage(HttpMethod.Post, "/note?note=secret");
        note.Headers.TryAddWithoutValidation("Cookie", header);
        HttpResponseMessage noted = await client.SendAsync(note);
        string? fresh = noted.IssuedId();
        Assert.NotNull(fresh);
        Assert.NotEqual(planted, fresh);
        Assert.NotEqual(victim, fresh);
        Assert.Null((await app.Connector.GetAsync<TestSession>(planted))?.Note);
        Assert.Null((await app.Connector.GetAsync<TestSession>(victim))?.Note);
        Assert.True(app.Logs.Has(13));

        // The same ID sent twice is not ambiguous.
        var twice = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        twice.Headers.TryAddWithoutValidation("Cookie", $"sid={victim}; other=1; sid={victim}");
        Assert.Equal("victim", await (await client.SendAsync(twice)).Content.ReadAsStringAsync());
    }
}
