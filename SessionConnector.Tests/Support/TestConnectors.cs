using System;
using System.IO;
using Microsoft.Extensions.Time.Testing;
using SessionConnector;
using SessionConnector.Storage;

namespace SessionConnector.Tests.Support;

public enum StorageKind
{
    Memory,
    File,
}

/// <summary>Builds connectors over real storages with a fixed key and a fake clock.</summary>
public sealed class TestConnectors : IDisposable
{
    public static readonly byte[] Key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    public TestConnectors()
    {
        Directory = Path.Combine(Path.GetTempPath(), "sc-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public SessionStorage CreateStorage(StorageKind kind, string? subdirectory = null) => kind switch
    {
        StorageKind.Memory => new MemorySessionStorage(10_000, Clock),
        _ => new FileSessionStorage(Path.Combine(Directory, subdirectory ?? "store"), FileDurability.ProcessCrash, Clock),
    };

    public SessionStorageConnector Create(StorageKind kind, Action<SessionConnectorOptions>? configure = null) =>
        Create(CreateStorage(kind), configure);

    public SessionStorageConnector Create(SessionStorage storage, Action<SessionConnectorOptions>? configure = null)
    {
        var options = new SessionConnectorOptions
        {
            Keys = SessionKeyRing.FromSecret(Key),
            TimeProvider = Clock,
        };
        configure?.Invoke(options);
        return new SessionStorageConnector(storage, options);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
