using System;
using System.Linq;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionConnector.AspNetCore;
using SessionConnector.Storage;

namespace SessionConnector.Redis.Tests.Support;

/// <summary>A real Kestrel on 127.0.0.1 serving only the session storage health check at /health.</summary>
internal sealed class WebHealthApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SessionKeyRing _keys;
    private readonly HttpClient _client;

    private WebHealthApp(WebApplication app, SessionKeyRing keys)
    {
        _app = app;
        _keys = keys;
        _client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    }

    public static async Task<WebHealthApp> StartAsync(Func<SessionStorage> storage)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        SessionKeyRing keys = SessionKeyRing.FromSecret(RandomNumberGenerator.GetBytes(32));
        builder.Services.AddSessionConnector(o =>
        {
            o.Connector.Keys = keys;
            o.Storage = _ => storage();
        });
        builder.Services.AddHealthChecks().AddSessionStorage();
        WebApplication app = builder.Build();
        app.UseSessionConnector();
        app.MapHealthChecks("/health");
        await app.StartAsync();
        return new WebHealthApp(app, keys);
    }

    /// <summary>Asks /health <paramref name="parallel"/> times at once and returns each answer's body.</summary>
    public Task<string[]> ProbeAsync(int parallel) =>
        Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ => await (await _client.GetAsync("/health")).Content.ReadAsStringAsync()));

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _keys.Dispose();
    }
}
