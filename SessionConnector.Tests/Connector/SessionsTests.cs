using System;
using System.IO;
using System.Runtime.Versioning;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Connector;

/// <summary>The static singleton is process-wide state, so these tests never run in parallel with each other.</summary>
[Collection("StaticSessions")]
[UnsupportedOSPlatform("windows")] // the permission checks are POSIX ones
public sealed class SessionsTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public SessionsTests() => Sessions.Close();

    public void Dispose()
    {
        Sessions.Close();
        _env.Dispose();
    }

    private SessionConnectorOptions Options => new() { Keys = SessionKeyRing.FromSecret(TestConnectors.Key) };

    [Fact]
    public void UsingSessionsBeforeConfigureThrowsAClearException()
    {
        Assert.False(Sessions.IsConfigured);
        var e = Assert.Throws<SessionStorageConnectorException>(() => Sessions.Get<SessionBag>(Sessions.GenerateId()));
        Assert.Contains("Sessions.Configure", e.Message);
        Assert.Throws<SessionStorageConnectorException>(() => Sessions.Clear());
    }

    [Fact]
    public void ConfiguringAgainWithTheSameKindIsANoOp()
    {
        SessionStorageConnector first = Sessions.Configure(new MemorySessionStorage(), Options);
        string id = Sessions.GenerateId();
        Sessions.Set(id, new SessionBag { ["k"] = 1 });

        SessionStorageConnector second = Sessions.Configure(new MemorySessionStorage(), Options);

        Assert.Same(first, second);
        Assert.Equal(1L, Sessions.Get<SessionBag>(id)!["k"]);
    }

    [Fact]
    public void ConfiguringWithADifferentKindThrowsNamingBothKinds()
    {
        Sessions.Configure(new MemorySessionStorage(), Options);
        var e = Assert.Throws<SessionStorageConnectorException>(() =>
            Sessions.Configure(new FileSessionStorage(Path.Combine(_env.Directory, "f")), Options));
        Assert.Contains("'memory'", e.Message);
        Assert.Contains("'file'", e.Message);
    }

    [Fact]
    public void CloseAllowsReconfiguringWithAnotherKind()
    {
        Sessions.Configure(new MemorySessionStorage(), Options);
        Sessions.Close();
        Assert.False(Sessions.IsConfigured);
        Sessions.Configure(new FileSessionStorage(Path.Combine(_env.Directory, "g")), Options);
        Assert.Equal("file", Sessions.Connector.StorageKind);
        Assert.False(Sessions.UsesMemoryBackend);
    }

    [Fact]
    public void TheFacadeForwardsEveryOperation()
    {
        Sessions.Configure(new FileSessionStorage(Path.Combine(_env.Directory, "h")), Options);
        string id = Sessions.GenerateId();
        Assert.True(Sessions.Set(id, new SessionBag { ["visits"] = 1 }, TimeSpan.FromHours(1)));
        Assert.True(Sessions.Update(id, new SessionBag { ["visits"] = 2, ["name"] = "ada" }));
        Assert.True(Sessions.Update<SessionBag>(id, b => b["extra"] = true));
        SessionBag bag = Sessions.Get<SessionBag>(id)!;
        Assert.Equal(2L, bag["visits"]);
        Assert.Equal("ada", bag["name"]);
        Assert.Equal(true, bag["extra"]);
        Sessions.Save();
        Assert.True(Sessions.Delete(id));
        Assert.Null(Sessions.Get<SessionBag>(id));
        Sessions.Set(id, new SessionBag());
        Sessions.Clear();
        Assert.False(Sessions.TryGet<SessionBag>(id, out _));
    }

    [Fact]
    public void ConfigureDefaultUsesFileStorageWithADevelopmentKeyKeptPerUserOutsideTheStore()
    {
        string dir = Path.Combine(_env.Directory, "default");
        string? warning = null;
        WithDataHome(dataHome =>
        {
            Sessions.ConfigureDefault(dir, w => warning = w);
            Assert.Equal("file", Sessions.Connector.StorageKind);
            Assert.Contains("DEVELOPMENT", warning);
            Assert.Empty(Directory.GetFiles(dir, "*key*", SearchOption.AllDirectories));
            string keyFile = Assert.Single(Directory.GetFiles(Path.Combine(dataHome, "SessionConnector", "dev-keys")));
            Assert.Contains(keyFile, warning);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            Assert.Same(Sessions.Connector, Sessions.ConfigureDefault(dir)); // same arguments: a no-op
        });
    }

    [Fact]
    public void AProductionConfigureAfterConfigureDefaultThrowsNamingTheKeys()
    {
        string dir = Path.Combine(_env.Directory, "default");
        WithDataHome(_ =>
        {
            Sessions.ConfigureDefault(dir, _ => { });
            var e = Assert.Throws<SessionStorageConnectorException>(() => Sessions.Configure(new FileSessionStorage(dir), Options));
            Assert.Contains("keys", e.Message);
            Assert.Contains("UseDevelopmentKey", e.Message);
            Assert.DoesNotContain("storage location", e.Message);
        });
    }

    [Fact]
    public void ConfiguringAgainWithAnotherDirectoryThrowsNamingBothLocations()
    {
        string a = Path.Combine(_env.Directory, "a"), b = Path.Combine(_env.Directory, "b");
        Sessions.Configure(new FileSessionStorage(a), Options);
        var e = Assert.Throws<SessionStorageConnectorException>(() => Sessions.Configure(new FileSessionStorage(b), Options));
        Assert.Contains($"'{Path.GetFullPath(a)}'", e.Message);
        Assert.Contains($"'{Path.GetFullPath(b)}'", e.Message);
        Assert.Same(Sessions.Connector, Sessions.Configure(new FileSessionStorage(a), Options)); // the same again is fine
    }

    [Fact]
    public void ConfiguringAgainWithOtherKeysOrOptionsThrowsNamingWhatDiffers()
    {
        Sessions.Configure(new MemorySessionStorage(), Options);
        byte[] other = (byte[])TestConnectors.Key.Clone();
        other[0] ^= 0xFF;

        var keys = Assert.Throws<SessionStorageConnectorException>(() =>
            Sessions.Configure(new MemorySessionStorage(), new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(other) }));
        var options = Assert.Throws<SessionStorageConnectorException>(() =>
            Sessions.Configure(new MemorySessionStorage(), new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(TestConnectors.Key), CacheCapacity = 10, Format = SessionFormat.Json }));

        Assert.Contains("different keys", keys.Message);
        Assert.Contains("CacheCapacity (4096 configured, 10 now)", options.Message);
        Assert.Contains("Format (MessagePack configured, Json now)", options.Message);
        Assert.DoesNotContain("keys", options.Message);
    }

    private static void WithDataHome(Action<string> test)
    {
        // The per-user location honours XDG_DATA_HOME; point it at a scratch folder so the test leaves no key behind.
        string dataHome = Path.Combine(Path.GetTempPath(), "sc-data-" + Guid.NewGuid().ToString("N"));
        string? previous = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", dataHome);
        try
        {
            test(dataHome);
        }
        finally
        {
            Sessions.Close();
            Environment.SetEnvironmentVariable("XDG_DATA_HOME", previous);
            Directory.Delete(dataHome, recursive: true);
        }
    }
}

[CollectionDefinition("StaticSessions", DisableParallelization = true)]
public sealed class StaticSessionsCollection
{
}
