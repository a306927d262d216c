using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

public sealed class ResumeTokenTests
{
    private static Task<TestApp> StartAsync(Action<SessionConnectorWebOptions>? configure = null) =>
        TestApp.StartAsync(configure, endpoints: app => GameEndpoints.Map(app));

    private static Task<HttpResponseMessage> ResumeAsync(HttpClient client, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/game/resume");
        request.Headers.TryAddWithoutValidation(GameEndpoints.ResumeHeader, token);
        return client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> WhoAmIAsync(HttpClient client, string sessionToken) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/game/whoami").Bearer(sessionToken));

    [Fact]
    public async Task AResumeTokenRestoresTheSessionAndRotates()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/game/login?user=ada", null);
        string session = login.Token()!;
        string first = await login.Content.ReadAsStringAsync();

        HttpResponseMessage resumed = await ResumeAsync(client, first);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        string second = await resumed.Content.ReadAsStringAsync();
        Assert.NotEqual(first, second);
        Assert.Equal(session, resumed.Token());
        Assert.Equal("ada", await (await WhoAmIAsync(client, resumed.Token()!)).Content.ReadAsStringAsync());
        // The rotated token works in its turn.
        Assert.Equal(HttpStatusCode.OK, (await ResumeAsync(client, second)).StatusCode);
    }

    [Fact]
    public async Task AReusedTokenEndsTheSession()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TestApp app = await StartAsync(o => o.Connector.TimeProvider = time);
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/game/login?user=ada", null);
        string session = login.Token()!;
        string token = await login.Content.ReadAsStringAsync();
        HttpResponseMessage resumed = await ResumeAsync(client, token);
        string next = await resumed.Content.ReadAsStringAsync();
        time.Advance(TimeSpan.FromSeconds(5)); // past the window in which a second presentation counts as a concurrent retry

        Assert.Equal(HttpStatusCode.Unauthorized, (await ResumeAsync(client, token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(client, session)).StatusCode);
        // The whole family is revoked: the rotated token dies with the session.
        Assert.Equal(HttpStatusCode.Unauthorized, (await ResumeAsync(client, next)).StatusCode);
        Assert.True(app.Logs.Has(40));
    }

    [Fact]
    public async Task ConcurrentResumesOfOneTokenExactlyOneWins()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/game/login?user=ada", null);
        string session = login.Token()!;
        string token = await login.Content.ReadAsStringAsync();

        HttpResponseMessage[] answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ResumeAsync(client, token)));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(7, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
        // The losers only lost a race: the winner's session and its rotated token stay good.
        Assert.Equal("ada", await (await WhoAmIAsync(client, session)).Content.ReadAsStringAsync());
        string next = await answers.Single(a => a.StatusCode == HttpStatusCode.OK).Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, (await ResumeAsync(client, next)).StatusCode);
    }

    [Fact]
    public async Task ATokenReplayedAfterSignOutIsRefused()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/game/login?user=ada", null);
        string token = await login.Content.ReadAsStringAsync();
        await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/game/logout").Bearer(login.Token()!));

        HttpResponseMessage replay = await ResumeAsync(client, token);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Null(replay.Token());
    }

    [Fact]
    public async Task ATokenIssuedBeforeSignOutEverywhereIsRefusedAfterIt()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/game/login-bound?user=ada", null);
        string session = login.Token()!;
        string token = await login.Content.ReadAsStringAsync();
        string elsewhere = (await client.PostAsync("/game/login-bound?user=ada", null)).Token()!;
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/game/signout-everywhere").Bearer(elsewhere))).StatusCode);
        // The sign-out deletes the ended sessions' records in the background, after its response: let that finish, or its
        // delete races the write-back below (the write then loses to it, or is deleted after it).
        await app.Connector.LastPrincipalCleanup;

        // The session record "somehow survived": written back, unbound, under its old ID. Only the grant's own binding
        // to the principal's generation can refuse the token now.
        Assert.True(await app.Connector.SetAsync(session, new TestSession { User = "ada" }));
        Assert.Equal("ada", await (await WhoAmIAsync(client, session)).Content.ReadAsStringAsync());

        HttpResponseMessage replay = await ResumeAsync(client, token);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Null(replay.Token());
    }

    [Fact]
    public async Task ATokenOfABoundSessionResumesWhileThePrincipalIsSignedIn()
    {
        await using TestApp app = await StartAsync();
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/game/login-bound?user=ada", null);
        string token = await login.Content.ReadAsStringAsync();

        HttpResponseMessage resumed = await ResumeAsync(client, token);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.Equal(login.Token(), resumed.Token());
        // The rotated token carries the binding on: it too resumes until a sign out everywhere.
        Assert.Equal(HttpStatusCode.OK, (await ResumeAsync(client, await resumed.Content.ReadAsStringAsync())).StatusCode);
    }

    [Fact]
    public async Task AnExpiredOrForgedTokenIsRefused()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TestApp app = await StartAsync(o =>
        {
            o.Connector.TimeProvider = time;
            o.ResumeTokenLifetime = TimeSpan.FromMinutes(1);
        });
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/game/login?user=ada", null);
        string token = await login.Content.ReadAsStringAsync();
        time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(HttpStatusCode.Unauthorized, (await ResumeAsync(client, token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ResumeAsync(client, SessionIds.Generate())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ResumeAsync(client, "../../x")).StatusCode);
        // The session itself (its own lifetime) is untouched by the expired token.
        Assert.Equal("ada", await (await WhoAmIAsync(client, login.Token()!)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TokensAreStoredOnlyAsHashesAndSurviveARestart()
    {
        string directory = TestApp.NewRoot();
        byte[] secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        void Configure(SessionConnectorWebOptions o)
        {
            o.Connector.Keys = SessionKeyRing.FromSecret(secret);
            o.UseFileStorage(directory);
        }

        string session, token;
        await using (TestApp first = await StartAsync(Configure))
        {
            using HttpClient client = first.Raw();
            HttpResponseMessage login = await client.PostAsync("/game/login?user=ada", null);
            session = login.Token()!;
            token = await login.Content.ReadAsStringAsync();
        }

        foreach (string file in System.IO.Directory.EnumerateFiles(directory, "*", System.IO.SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(token, System.IO.Path.GetFileName(file));
            Assert.DoesNotContain(token, await System.IO.File.ReadAllTextAsync(file));
        }

        await using TestApp second = await StartAsync(Configure);
        using HttpClient again = second.Raw();
        HttpResponseMessage resumed = await ResumeAsync(again, token);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.Equal(session, resumed.Token());
    }
}
