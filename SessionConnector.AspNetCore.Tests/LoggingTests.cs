using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SessionConnector.AspNetCore.Internal;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

public sealed class LoggingTests
{
    [Fact]
    public async Task TheLifecycleIsLoggedWithEventIdsAndNeverTheSessionIdInClear()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TestApp app = await TestApp.StartAsync(o =>
        {
            o.Connector.TimeProvider = time;
            o.UseMemoryStorage();
            o.Session.IdleTimeout = TimeSpan.FromMinutes(20);
        });
        using HttpClient client = app.Raw();

        string anonymous = (await client.PostAsync("/note?note=cart", null)).IssuedId()!;                         // started, stored
        string loggedIn = (await client.SendAsync(Post("/login?user=ada", anonymous))).IssuedId()!;              // renewed
        await client.SendAsync(Post("/note?note=x", loggedIn));                                                  // stored
        await client.SendAsync(Post("/logout", loggedIn));                                                       // signed out
        string other = (await client.PostAsync("/login?user=bob", null)).IssuedId()!;
        time.Advance(TimeSpan.FromMinutes(21));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(other))).StatusCode); // expired

        AssertLogged(app, 8, LogLevel.Information, "SessionStarted");
        AssertLogged(app, 9, LogLevel.Debug, "SessionStored");
        AssertLogged(app, 10, LogLevel.Information, "SessionExpired");
        AssertLogged(app, 11, LogLevel.Information, "SessionRenewed");
        AssertLogged(app, 12, LogLevel.Information, "SessionSignedOut");

        // The same session is named by the same short hash in every line, and no line carries an ID.
        string[] messages = app.Logs.Entries.Select(e => e.Message).ToArray();
        foreach (string id in new[] { anonymous, loggedIn, other })
        {
            Assert.DoesNotContain(messages, m => m.Contains(id, StringComparison.Ordinal));
        }

        string signedOut = app.Logs.Entries.First(e => e.Id.Id == 12).Message;
        string renewed = app.Logs.Entries.First(e => e.Id.Id == 11).Message;
        string hash = signedOut.Split(' ')[1];
        Assert.Matches("^[0-9A-F]{12}$", hash);
        Assert.EndsWith("as " + hash + "; the old ID is deleted.", renewed);
    }

    [Fact]
    public async Task TheLogHashKeyIsOnePerAppEvenWhenTheFirstCallsRace()
    {
        await using TestApp first = await TestApp.StartAsync(o => o.UseMemoryStorage());
        await using TestApp second = await TestApp.StartAsync(o => o.UseMemoryStorage());
        SessionConnectorHost host = first.Services.GetRequiredService<SessionConnectorHost>();
        SessionConnectorHost other = second.Services.GetRequiredService<SessionConnectorHost>();
        string id = SessionStorageConnector.GenerateId();

        // The key is drawn at the first LogId, not at start-up: first calls racing on several threads must still agree,
        // or one session's log lines would stop correlating.
        using var start = new Barrier(8);
        string[] hashes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return host.LogId(id);
        }, TaskCreationOptions.LongRunning)));

        Assert.Single(hashes.Distinct());
        Assert.Equal(hashes[0], host.LogId(id));
        Assert.NotEqual(hashes[0], other.LogId(id)); // per app: a hash says nothing across processes
    }

    private static HttpRequestMessage Post(string path, string id) => new HttpRequestMessage(HttpMethod.Post, path).WithCookie(id);

    private static void AssertLogged(TestApp app, int id, LogLevel level, string name) =>
        Assert.Contains(app.Logs.Entries, e => e.Category == "SessionConnector" && e.Id.Id == id && e.Id.Name == name && e.Level == level);
}
