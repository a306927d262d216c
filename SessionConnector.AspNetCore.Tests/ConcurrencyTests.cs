using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

[Collection(nameof(ConcurrencyTests))]
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task FiftyParallelIncrementsOnOneCookieEndAtExactlyFifty()
    {
        string root = TestApp.NewRoot();
        await using TestApp app = await TestApp.StartAsync(o => o.UseFileStorage(root)); // real files and fsync
        using HttpClient client = app.Raw();
        string id = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/counter").WithCookie(id))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        int[] seen = await Task.WhenAll(responses.Select(async r => int.Parse(await r.Content.ReadAsStringAsync())));
        Assert.Equal(Enumerable.Range(1, 50), seen.Order()); // each increment saw a distinct count: none was lost or doubled
        HttpResponseMessage final = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/counter").WithCookie(id));
        Assert.Equal("50", await final.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UpdateAsyncOnANewVisitorCreatesTheSessionOnceAndIssuesOneCookie()
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Raw();

        HttpResponseMessage first = await client.PostAsync("/visit", null);
        Assert.Equal("visit 1", await first.Content.ReadAsStringAsync());
        string? id = first.IssuedId();
        Assert.NotNull(id);

        HttpResponseMessage second = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/visit").WithCookie(id));
        Assert.Equal("visit 2", await second.Content.ReadAsStringAsync());
        Assert.Empty(second.SetCookies());
        Assert.Equal(2, (await app.Connector.GetAsync<TestSession>(id))?.Counter);
    }

    [Fact]
    public async Task FiftyParallelRequestsSettingDifferentMembersAllSurvive()
    {
        await using TestApp app = await TestApp.StartAsync(o => o.Session.ConflictPolicy = SessionConflictPolicy.Merge);
        using HttpClient client = app.Raw();
        string id = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/member/{i}").WithCookie(id))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        HttpResponseMessage members = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/members").WithCookie(id));
        Assert.Equal("50", await members.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RejectedConflictIsA409AndWritesNothing(bool explicitCommit)
    {
        await using TestApp app = await TestApp.StartAsync(o => o.Session.ConflictPolicy = SessionConflictPolicy.Reject);
        using HttpClient client = app.Raw();
        string id = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;

        HttpResponseMessage raced = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/race?explicitCommit={explicitCommit}").WithCookie(id));

        Assert.Equal(HttpStatusCode.Conflict, raced.StatusCode);
        Assert.Empty(raced.SetCookies());
        Assert.Equal("theirs", (await app.Connector.GetAsync<TestSession>(id))?.Note); // the other writer's change stands
        Assert.True(app.Logs.Has(5));
    }

    [Fact]
    public async Task SameMemberChangedDifferentlyIsA409EvenUnderMerge()
    {
        await using TestApp app = await TestApp.StartAsync(o => o.Session.ConflictPolicy = SessionConflictPolicy.Merge);
        using HttpClient client = app.Raw();
        string id = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;

        HttpResponseMessage raced = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/race?explicitCommit=true").WithCookie(id));

        Assert.Equal(HttpStatusCode.Conflict, raced.StatusCode);
        Assert.Equal("theirs", (await app.Connector.GetAsync<TestSession>(id))?.Note);
    }
}
