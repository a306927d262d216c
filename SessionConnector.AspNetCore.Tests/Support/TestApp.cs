using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionConnector.Storage;

namespace SessionConnector.AspNetCore.Tests.Support;

/// <summary>
/// A real Kestrel on 127.0.0.1 with a free port, the package wired as an app would wire it, and the test endpoints.
/// Every app gets its own explicit key (never a development key) and content root.
/// </summary>
internal sealed class TestApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SessionKeyRing _keys;
    private readonly string _root;

    private TestApp(WebApplication app, SessionKeyRing keys, string root, LogCapture logs)
    {
        _app = app;
        _keys = keys;
        _root = root;
        Logs = logs;
        BaseAddress = new Uri(app.Urls.First());
    }

    public Uri BaseAddress { get; }

    public LogCapture Logs { get; }

    public IServiceProvider Services => _app.Services;

    public SessionStorageConnector Connector => _app.Services.GetRequiredService<SessionStorageConnector>();

    public static string NewRoot() => Directory.CreateTempSubdirectory("sc-web-").FullName;

    /// <summary>Starts an app over <paramref name="storage"/> (null: the in-memory backend behind an <see cref="ObservedStorage"/>).</summary>
    public static async Task<TestApp> StartAsync(
        Action<SessionConnectorWebOptions>? configure = null,
        string environment = "Production",
        IConfiguration? configuration = null,
        bool withKeys = true,
        Action<WebApplicationBuilder>? builderHook = null,
        Action<WebApplication>? outer = null,
        Action<WebApplication>? endpoints = null)
    {
        string root = NewRoot();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment, ContentRootPath = root });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // Let non-ASCII cookie bytes reach the app, so the hostile-cookie corpus tests the package, not Kestrel's parser.
        builder.WebHost.ConfigureKestrel(k => k.RequestHeaderEncodingSelector = _ => Encoding.UTF8);
        var logs = new LogCapture();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);

        SessionKeyRing keys = SessionKeyRing.FromSecret(RandomNumberGenerator.GetBytes(32));
        Action<SessionConnectorWebOptions> setup = o =>
        {
            if (withKeys) o.Connector.Keys = keys;
            o.Cookie.SecurePolicy = CookieSecurePolicy.None; // plain HTTP on loopback: CookieContainer would not send a Secure cookie
            configure?.Invoke(o);
        };
        if (configuration is null) builder.Services.AddSessionConnector(setup);
        else builder.Services.AddSessionConnector(configuration, o => configure?.Invoke(o));
        builder.Services.AddHealthChecks().AddSessionStorage();
        builderHook?.Invoke(builder);

        WebApplication app = builder.Build();
        try
        {
            outer?.Invoke(app); // middleware that runs around the session middleware
            app.UseSessionConnector();
            TestEndpoints.Map(app);
            endpoints?.Invoke(app);
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            keys.Dispose();
            throw;
        }

        return new TestApp(app, keys, root, logs);
    }

    /// <summary>A client that keeps cookies like a browser.</summary>
    public HttpClient Browser(out CookieContainer jar)
    {
        jar = new CookieContainer();
        return new HttpClient(new SocketsHttpHandler { CookieContainer = jar, UseCookies = true }) { BaseAddress = BaseAddress };
    }

    /// <summary>A client that sends exactly the Cookie header a test writes (UTF-8 allowed) and keeps nothing.</summary>
    public HttpClient Raw() =>
        new(new SocketsHttpHandler { UseCookies = false, RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 }) { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _keys.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
    }

    public static ObservedStorage Observed(SessionConnectorWebOptions o, bool files = false, string? root = null)
    {
        SessionStorage inner = files
            ? new FileSessionStorage(root ?? NewRoot(), FileDurability.PowerLoss, o.Connector.TimeProvider)
            : new MemorySessionStorage(10_000, o.Connector.TimeProvider);
        var observed = new ObservedStorage(inner);
        o.Storage = _ => observed;
        return observed;
    }
}

/// <summary>Cookie helpers for raw responses.</summary>
internal static class Cookies
{
    public static string[] SetCookies(this HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToArray() : [];

    /// <summary>The session ID a Set-Cookie header issues (null when it expires the cookie or is absent).</summary>
    public static string? IssuedId(this HttpResponseMessage response, string name = "sid")
    {
        foreach (string header in response.SetCookies())
        {
            string first = header.Split(';')[0];
            if (first.StartsWith(name + "=", StringComparison.Ordinal) && first.Length > name.Length + 1) return first[(name.Length + 1)..];
        }

        return null;
    }

    public static HttpRequestMessage WithCookie(this HttpRequestMessage request, string value, string name = "sid")
    {
        request.Headers.TryAddWithoutValidation("Cookie", $"{name}={value}");
        return request;
    }
}
