using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
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
        Assert.Null(app.Connector.Storage.Read(HealthChecks.SessionStorageHealthCheck.ProbeKey));

        System.IO.Directory.Delete(root, recursive: true);
        System.IO.File.WriteAllText(root, "not a directory"); // the storage path is now unusable
        Assert.Equal("Unhealthy", await (await client.GetAsync("/health")).Content.ReadAsStringAsync());
        System.IO.File.Delete(root);
    }
}
