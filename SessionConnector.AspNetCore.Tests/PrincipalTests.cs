using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

public sealed class PrincipalTests
{
    private static async Task<string> SignIn(HttpClient client, string user, string device)
    {
        HttpResponseMessage response = await client.PostAsync($"/signin?user={user}&device={device}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.IssuedId()!;
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string path, string id) =>
        client.SendAsync(new HttpRequestMessage(method, path).WithCookie(id));

    [Fact]
    public async Task SignInBindsAndRenewsAndTheUserListsEndsOneAndSignsOutEverywhere()
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Raw();
        string laptop = await SignIn(client, "ada", "laptop");
        string phone = await SignIn(client, "ada", "phone");
        string tablet = await SignIn(client, "ada", "tablet");
        string bob = await SignIn(client, "bob", "desktop");

        string[] lines = (await (await Send(client, HttpMethod.Get, "/sessions", laptop)).Content.ReadAsStringAsync())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains(lines, l => l.EndsWith(" laptop current", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.DoesNotContain(l.Split(' ')[0], new[] { laptop, phone, tablet }));

        string phoneHandle = lines.Single(l => l.Contains(" phone", StringComparison.Ordinal)).Split(' ')[0];
        Assert.Equal(HttpStatusCode.NoContent, (await Send(client, HttpMethod.Post, $"/sessions/end?handle={phoneHandle}", laptop)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, HttpMethod.Get, "/whoami", phone)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(client, HttpMethod.Get, "/whoami", tablet)).StatusCode);
        // bob cannot end ada's sessions with a handle he saw: handles are looked up in his own principal's index only.
        Assert.Equal(HttpStatusCode.NotFound, (await Send(client, HttpMethod.Post, $"/sessions/end?handle={phoneHandle}", bob)).StatusCode);

        HttpResponseMessage everywhere = await Send(client, HttpMethod.Post, "/signout-everywhere", laptop);
        Assert.Equal(HttpStatusCode.NoContent, everywhere.StatusCode);
        Assert.Contains(everywhere.SetCookies(), c => c.StartsWith("sid=;", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, HttpMethod.Get, "/whoami", laptop)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, HttpMethod.Get, "/whoami", tablet)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(client, HttpMethod.Get, "/whoami", bob)).StatusCode);

        // A fresh sign-in after the sign-out is live.
        string again = await SignIn(client, "ada", "laptop");
        Assert.Equal("ada", await (await Send(client, HttpMethod.Get, "/whoami", again)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnUnboundSessionListsNothingAndSignOutEverywhereOnlySignsItOut()
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Raw();
        string plain = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;
        string bound = await SignIn(client, "ada", "laptop");

        Assert.Equal(string.Empty, await (await Send(client, HttpMethod.Get, "/sessions", plain)).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await Send(client, HttpMethod.Post, "/signout-everywhere", plain)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, HttpMethod.Get, "/whoami", plain)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(client, HttpMethod.Get, "/whoami", bound)).StatusCode);
    }
}
