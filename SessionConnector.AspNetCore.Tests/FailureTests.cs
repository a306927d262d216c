using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

public sealed class FailureTests
{
    private static Task<TestApp> StartObserved(out ObservedStorage storage)
    {
        ObservedStorage? s = null;
        Task<TestApp> app = TestApp.StartAsync(o =>
        {
            s = TestApp.Observed(o);
            o.Connector.CacheCapacity = 0; // every read reaches storage, so "down" is seen at once
        });
        storage = s!;
        return app;
    }

    [Fact]
    public async Task StorageDownOnReadIs503Not500()
    {
        await using TestApp app = await StartObserved(out ObservedStorage storage);
        using HttpClient client = app.Browser(out _);
        await client.PostAsync("/login?user=ada", null);

        storage.Down = true;
        HttpResponseMessage read = await client.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
        Assert.Empty(read.SetCookies());
        Assert.True(app.Logs.Has(4));
        Assert.True(app.Logs.Has(3)); // the observer's storage-failure event

        storage.Down = false;
        Assert.Equal("ada", await (await client.GetAsync("/whoami")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task StorageDownOnAtomicUpdateIs503AndTheCountIsIntact()
    {
        await using TestApp app = await StartObserved(out ObservedStorage storage);
        using HttpClient client = app.Browser(out _);
        await client.PostAsync("/login?user=ada", null);
        await client.PostAsync("/counter", null);

        storage.WritesFail = true;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostAsync("/counter", null)).StatusCode);
        storage.WritesFail = false;
        Assert.Equal("1", await (await client.GetAsync("/counter")).Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/note?note=x", false)]   // writes fail: the commit runs in OnStarting, after the endpoint wrote its body
    [InlineData("/login?user=ada", true)] // storage down: the login's own save (RenewAsync) fails inside the endpoint
    public async Task NewVisitorWhoseFirstSaveFailsGets503AndNoCookie(string path, bool down)
    {
        await using TestApp app = await StartObserved(out ObservedStorage storage);
        using HttpClient client = app.Raw();
        storage.WritesFail = true;
        storage.Down = down;

        HttpResponseMessage response = await client.PostAsync(path, null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(response.SetCookies());
    }

    [Fact]
    public async Task HealthCheckFollowsTheStorage()
    {
        await using TestApp app = await StartObserved(out ObservedStorage storage);
        using HttpClient client = app.Raw();

        HttpResponseMessage healthy = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Equal("Healthy", await healthy.Content.ReadAsStringAsync());

        storage.WritesFail = true;
        HttpResponseMessage unhealthy = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        Assert.Equal("Unhealthy", await unhealthy.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task FileStorageHealthCheckWritesReadsAndDeletesItsProbe()
    {
        string root = TestApp.NewRoot();
        await using TestApp app = await TestApp.StartAsync(o => o.UseFileStorage(root));
        using HttpClient client = app.Raw();

        Assert.Equal("Healthy", await (await client.GetAsync("/health")).Content.ReadAsStringAsync());

        System.IO.Directory.Delete(root, recursive: true);
        System.IO.File.WriteAllText(root, "not a directory"); // the storage path is now unusable
        Assert.Equal("Unhealthy", await (await client.GetAsync("/health")).Content.ReadAsStringAsync());
        System.IO.File.Delete(root);
    }

    [Theory]
    [InlineData(false)] // nothing handles the exception: Kestrel answers 500
    [InlineData(true)]  // UseExceptionHandler, the usual production set-up, re-runs the pipeline for its answer
    public async Task AnEndpointThatThrowsCommitsNothing(bool exceptionHandler)
    {
        await using TestApp app = await TestApp.StartAsync(outer: exceptionHandler ? a => a.UseExceptionHandler("/error") : null);
        using HttpClient client = app.Raw();
        string id = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;
        await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/note?note=before").WithCookie(id));

        HttpResponseMessage failed = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/note-then-throw?note=half-done").WithCookie(id));
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        if (exceptionHandler) Assert.Equal("handled", await failed.Content.ReadAsStringAsync());
        Assert.Empty(failed.SetCookies());
        Assert.Equal("before", (await app.Connector.GetAsync<TestSession>(id))?.Note);

        // A new visitor's first change, then a throw: no record, no cookie.
        using HttpClient stranger = app.Raw();
        HttpResponseMessage first = await stranger.PostAsync("/note-then-throw?note=x", null);
        Assert.Equal(HttpStatusCode.InternalServerError, first.StatusCode);
        Assert.Empty(first.SetCookies());
    }

    [Theory]
    [InlineData("/stash", false)]           // the endpoint ended normally
    [InlineData("/note-then-throw?note=x", true)] // the endpoint threw (an outer middleware catches it)
    public async Task TheSessionIsUnusableOnceTheRequestLeavesTheSessionMiddleware(string path, bool throws)
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using TestApp app = await TestApp.StartAsync(outer: a => a.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (InvalidOperationException) when (throws)
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            }

            // An outer middleware after the response: reading, changing and committing must all refuse.
            seen.Enqueue(Outcome(() => context.GetSession<TestSession>()));
            if (context.Items["session"] is RequestSession<TestSession> stashed)
            {
                seen.Enqueue(Outcome(() => stashed.Data.Note = "late"));
                seen.Enqueue(await OutcomeAsync(() => stashed.CommitAsync().AsTask()));
                seen.Enqueue(await OutcomeAsync(() => stashed.UpdateAsync(s => s.Note = "late").AsTask()));
                // GetAsync refuses through its task (as an async method does), not by throwing at the call.
                ValueTask<TestSession> pending = default;
                seen.Enqueue(Outcome(() => pending = stashed.GetAsync()) == "none" ? await OutcomeAsync(() => pending.AsTask()) : "thrown at the call");
            }
        }));
        using HttpClient client = app.Raw();
        string id = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;
        while (seen.TryDequeue(out _)) { } // the login's own pass through the outer middleware

        HttpResponseMessage response = await client.SendAsync(new HttpRequestMessage(throws ? HttpMethod.Post : HttpMethod.Get, path).WithCookie(id));
        Assert.Equal(throws ? HttpStatusCode.InternalServerError : HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(seen);
        Assert.All(seen, outcome => Assert.Equal(nameof(InvalidOperationException), outcome));
        TestSession? saved = await app.Connector.GetAsync<TestSession>(id);
        Assert.Equal(("ada", null), (saved?.User, saved?.Note));
    }

    [Fact]
    public async Task OnceTheResponseHasStartedTheSessionReadsButRefusesChanges()
    {
        await using TestApp app = await TestApp.StartAsync();
        using HttpClient client = app.Raw();
        string id = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;

        HttpResponseMessage streamed = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/stream").WithCookie(id));
        Assert.Equal("streaming;ada;refused", await streamed.Content.ReadAsStringAsync());
        Assert.Null((await app.Connector.GetAsync<TestSession>(id))?.Note);
    }

    [Fact]
    public async Task HealthCheckStaysHealthyUnderParallelProbes()
    {
        await using TestApp app = await TestApp.StartAsync(o => o.UseMemoryStorage());
        using HttpClient client = app.Raw();
        string[] answers = await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ => await (await client.GetAsync("/health")).Content.ReadAsStringAsync()));
        Assert.All(answers, a => Assert.Equal("Healthy", a));
        int left = 0;
        await foreach (var _ in app.Connector.Storage.EnumerateAsync()) left++;
        Assert.Equal(0, left); // every probe deleted its own record
    }

    private static string Outcome(Action action)
    {
        try
        {
            action();
            return "none";
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }

    private static async Task<string> OutcomeAsync(Func<Task> action)
    {
        try
        {
            await action();
            return "none";
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }
}
