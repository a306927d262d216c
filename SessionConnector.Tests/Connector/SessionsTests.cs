using System;
using System.IO;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Connector;

/// <summary>The static singleton is process-wide state, so these tests never run in parallel with each other.</summary>
[Collection("StaticSessions")]
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
    public void ConfigureDefaultUsesFileStorageWithAPersistedDevelopmentKey()
    {
        string dir = Path.Combine(_env.Directory, "default");
        string? warning = null;
        Sessions.ConfigureDefault(dir, w => warning = w);
        Assert.Equal("file", Sessions.Connector.StorageKind);
        Assert.Contains("DEVELOPMENT", warning);
        Assert.True(File.Exists(Path.Combine(dir, ".devkey")));
    }
}

[CollectionDefinition("StaticSessions", DisableParallelization = true)]
public sealed class StaticSessionsCollection
{
}
