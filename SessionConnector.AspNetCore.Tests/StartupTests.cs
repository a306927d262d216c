using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SessionConnector.Storage;
using SessionConnector.AspNetCore.Tests.Support;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

// Touches SESSIONCONNECTOR_KEYS (process-wide): kept out of parallel runs with itself.
[Collection(nameof(StartupTests))]
public sealed class StartupTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task WithoutAKeyOutsideDevelopmentStartUpFails(string environment)
    {
        Assert.Null(Environment.GetEnvironmentVariable(SessionKeyRing.DefaultEnvironmentVariable));
        var e = await Assert.ThrowsAsync<SessionStorageConnectorException>(() => TestApp.StartAsync(environment: environment, withKeys: false));
        Assert.Contains("key", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task InDevelopmentADevelopmentKeyIsUsedAndLoggedAsAWarning()
    {
        await using TestApp app = await TestApp.StartAsync(environment: "Development", withKeys: false);
        using HttpClient client = app.Browser(out _);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/login?user=ada", null)).StatusCode);
        Assert.True(app.Logs.Has(1));
    }

    [Fact]
    public async Task ConfigurationSectionIsBound()
    {
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SessionConnector:Keys"] = "*7:" + key,
            ["SessionConnector:Storage"] = "Memory",
            ["SessionConnector:Lifetime"] = "02:00:00",
            ["SessionConnector:ConflictPolicy"] = "Reject",
            ["SessionConnector:Cookie:Name"] = "app-session",
            ["SessionConnector:Cookie:SecurePolicy"] = "None",
            ["SessionConnector:Cookie:SameSite"] = "Strict",
            ["SessionConnector:Cookie:Persistent"] = "true",
        }).Build();

        // Production with no key in code: only the configured key lets it start.
        await using TestApp app = await TestApp.StartAsync(configuration: configuration, withKeys: false);
        using HttpClient client = app.Raw();
        HttpResponseMessage login = await client.PostAsync("/login?user=ada", null);

        string header = Assert.Single(login.SetCookies());
        Assert.StartsWith("app-session=", header);
        Assert.Contains("samesite=strict", header, StringComparison.OrdinalIgnoreCase);
        Assert.Matches("max-age=(71[4-9][0-9]|7200)", header.ToLowerInvariant());
        Assert.DoesNotContain("secure", header, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("memory", app.Connector.StorageKind);
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SessionConnectorWebOptions>>().Value;
        Assert.Equal(SessionConflictPolicy.Reject, options.Session.ConflictPolicy);
        Assert.Equal(7u, options.Connector.Keys!.PrimaryKeyId);
    }

    [Theory]
    [InlineData("SecurePolicy", "Always", true)]
    [InlineData("SecurePolicy", "None", false)]
    [InlineData("Secure", "false", false)] // the older boolean stays as shorthand (scripts/bench-web.sh sets it)
    [InlineData("Secure", "true", true)]
    public async Task TheCookiesSecurePolicyIsBoundFromConfiguration(string setting, string value, bool secure)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SessionConnector:Keys"] = "*1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["SessionConnector:Storage"] = "Memory",
            ["SessionConnector:Cookie:" + setting] = value,
        }).Build();
        await using TestApp app = await TestApp.StartAsync(configuration: configuration, withKeys: false);
        string header = Assert.Single((await app.Raw().PostAsync("/login?user=ada", null)).SetCookies());
        Assert.Equal(secure, header.Split(';', StringSplitOptions.TrimEntries).Contains("secure", StringComparer.OrdinalIgnoreCase));
        Assert.StartsWith(secure ? "__Host-sid=" : "sid=", header); // Production: the prefix follows whenever it is valid
    }

    [Fact]
    public async Task UnknownStorageKindInConfigurationFailsStartUp()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SessionConnector:Storage"] = "Cassette",
        }).Build();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestApp.StartAsync(configuration: configuration));
        Assert.Contains("Cassette", e.Message);
    }

    [Fact]
    public async Task TheConnectorIsASingletonWhoseMeterComesFromTheHostsFactory()
    {
        await using TestApp app = await TestApp.StartAsync();
        Assert.Same(app.Connector, app.Services.GetRequiredService<SessionStorageConnector>());
        Assert.Same(app.Services.GetRequiredService<IMeterFactory>(), app.Connector.Meter.Scope);
    }

    [Fact]
    public async Task RejectedRecordsAreLoggedWithTheirReason()
    {
        ObservedStorage? storage = null;
        await using TestApp app = await TestApp.StartAsync(o =>
        {
            storage = TestApp.Observed(o);
            o.Connector.CacheCapacity = 0; // the read must reach the tampered record
        });
        using HttpClient client = app.Raw();
        string id = (await client.PostAsync("/login?user=ada", null)).IssuedId()!;

        // Flip a byte of the sealed record: authentication must fail, and the log must say so.
        string storageKey = storage!.LastWrittenKey!;
        StoredRecord record = storage.Read(storageKey)!.Value;
        byte[] tampered = (byte[])record.Value.Clone();
        tampered[^1] ^= 0x55;
        Assert.True(storage.TryWrite(storageKey, tampered, record.ExpiresAt, record.Version, record.Version + 1));

        HttpResponseMessage whoami = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami").WithCookie(id));
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
        Assert.True(app.Logs.Has(2));
    }
}
