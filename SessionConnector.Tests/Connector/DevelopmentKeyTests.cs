using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.Versioning;
using System.Linq;
using System.Security.Cryptography;
using SessionConnector.Diagnostics;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Connector;

/// <summary>
/// Fail-closed keys and the development key. In the static-sessions collection: two tests set SESSIONCONNECTOR_KEYS,
/// which is process-wide.
/// </summary>
[Collection("StaticSessions")]
[UnsupportedOSPlatform("windows")] // the permission checks are POSIX ones
public sealed class DevelopmentKeyTests : IDisposable
{
    private readonly TestConnectors _env = new();
    private readonly string _keys;

    public DevelopmentKeyTests()
    {
        _keys = Path.Combine(_env.Directory, "user-data", "dev-keys");
        Environment.SetEnvironmentVariable(SessionKeyRing.DefaultEnvironmentVariable, null);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(SessionKeyRing.DefaultEnvironmentVariable, null);
        _env.Dispose();
    }

    private string Store(string name) => Path.Combine(_env.Directory, name);

    private SessionStorageConnector OpenWithDevelopmentKey(string store, List<string>? warnings = null, SessionConnectorObserver? observer = null) =>
        new(new FileSessionStorage(store, FileDurability.ProcessCrash), new SessionConnectorOptions
        {
            UseDevelopmentKey = true,
            DevelopmentKeyDirectory = _keys,
            Warn = warnings is null ? _ => { } : warnings.Add,
            Observer = observer,
        });

    [Theory]
    [InlineData("memory")]
    [InlineData("file")]
    public void WithoutAnyKeyTheConnectorRefusesToStartAndSaysHowToProvideOne(string kind)
    {
        SessionStorage storage = kind == "memory" ? new MemorySessionStorage() : new FileSessionStorage(Store("none"));

        var e = Assert.Throws<SessionStorageConnectorException>(() => new SessionStorageConnector(storage, new SessionConnectorOptions()));

        Assert.Contains("No session encryption key", e.Message);
        Assert.Contains("SessionConnectorOptions.Keys", e.Message);
        Assert.Contains("SESSIONCONNECTOR_KEYS", e.Message);
        Assert.Contains("UseDevelopmentKey", e.Message);
        Assert.False(Directory.Exists(_keys));
    }

    [Fact]
    public void KeysFromTheEnvironmentAreUsedWithoutAnyOption()
    {
        string secret = Convert.ToBase64String(TestConnectors.Key);
        Environment.SetEnvironmentVariable(SessionKeyRing.DefaultEnvironmentVariable, "1:" + secret);
        string id = SessionStorageConnector.GenerateId();
        var storage = new MemorySessionStorage();
        using (var fromEnvironment = new SessionStorageConnector(storage, new SessionConnectorOptions()))
        {
            fromEnvironment.Set(id, new Counter { Value = 5 });
        }

        using var explicitKeys = new SessionStorageConnector(storage, new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(TestConnectors.Key) });
        Assert.Equal(5, explicitKeys.Get<Counter>(id)!.Value);
    }

    [Fact]
    public void AMalformedKeyVariableIsRefusedNamingTheVariableAndTheKey()
    {
        Environment.SetEnvironmentVariable(SessionKeyRing.DefaultEnvironmentVariable, "1:" + Convert.ToBase64String(new byte[32]));

        var e = Assert.Throws<SessionStorageConnectorException>(() =>
            new SessionStorageConnector(new MemorySessionStorage(), new SessionConnectorOptions { UseDevelopmentKey = true }));

        Assert.Contains("SESSIONCONNECTOR_KEYS", e.Message);
        Assert.Contains("Key 1", e.Message);
    }

    [Fact]
    public void TheDevelopmentKeyLivesPerUserOutsideTheStoreAndSurvivesARestart()
    {
        string store = Store("dev");
        var warnings = new List<string>();
        var observer = new RecordingObserver();
        string id = SessionStorageConnector.GenerateId();
        using (var c = OpenWithDevelopmentKey(store, warnings, observer))
        {
            c.Set(id, new Counter { Value = 3 });
        }

        string keyFile = Assert.Single(Directory.GetFiles(_keys));
        Assert.Equal(SessionKeyRing.MasterKeyLength, new FileInfo(keyFile).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_keys));
        Assert.Empty(Directory.GetFiles(store, "*key*", SearchOption.AllDirectories)); // nothing key-like inside the store
        Assert.Contains("DEVELOPMENT", Assert.Single(warnings));
        Assert.Contains(keyFile, Assert.Single(observer.DevelopmentKeys));

        using var again = OpenWithDevelopmentKey(store);
        Assert.Equal(3, again.Get<Counter>(id)!.Value);
    }

    [Fact]
    public void ACopyOfTheStoreDoesNotCarryItsKey()
    {
        string store = Store("original");
        string id = SessionStorageConnector.GenerateId();
        using (var c = OpenWithDevelopmentKey(store)) c.Set(id, new Counter { Value = 1 });

        string copy = Store("copy");
        CopyDirectory(store, copy);

        using var fromCopy = OpenWithDevelopmentKey(copy);
        Assert.Null(fromCopy.Get<Counter>(id));
        Assert.Equal(2, Directory.GetFiles(_keys).Length); // one key per store path
    }

    [Fact]
    public void AKeyPlantedInsideTheStoreIsNeverUsed()
    {
        // The old location: a 32-byte file in the store. Whoever can write the store must not choose the key.
        string store = Store("planted");
        Directory.CreateDirectory(store);
        byte[] planted = RandomNumberGenerator.GetBytes(32);
        File.WriteAllBytes(Path.Combine(store, ".devkey"), planted);
        string id = SessionStorageConnector.GenerateId();
        using (var c = OpenWithDevelopmentKey(store)) c.Set(id, new Counter { Value = 1 });

        using var attacker = new SessionStorageConnector(new FileSessionStorage(store), new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(planted) });
        Assert.Null(attacker.Get<Counter>(id));
    }

    [Fact]
    public void ASymbolicLinkAsTheKeyFileIsRefused()
    {
        string store = Store("link");
        string target = Path.Combine(_env.Directory, "attacker.key");
        File.WriteAllBytes(target, RandomNumberGenerator.GetBytes(32));
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.CreateDirectory(_keys);
        File.CreateSymbolicLink(DevelopmentKeys.KeyPath(_keys, Path.GetFullPath(store)), target);

        var e = Assert.Throws<SessionStorageConnectorException>(() => OpenWithDevelopmentKey(store));

        Assert.Contains("symbolic link", e.Message);
    }

    [Fact]
    public void ADanglingSymbolicLinkAsTheKeyFileIsRefusedAndNothingIsCreatedThroughIt()
    {
        string store = Store("dangling");
        string target = Path.Combine(_env.Directory, "planted.key");
        Directory.CreateDirectory(_keys);
        File.CreateSymbolicLink(DevelopmentKeys.KeyPath(_keys, Path.GetFullPath(store)), target);

        var e = Assert.Throws<SessionStorageConnectorException>(() => OpenWithDevelopmentKey(store));

        Assert.Contains("symbolic link", e.Message);
        Assert.False(File.Exists(target)); // no key was written where the link points
    }

    [Fact]
    public void ASymbolicLinkAsTheKeyDirectoryIsRefusedAndNothingIsCreatedThroughIt()
    {
        string store = Store("linked-dir");
        string elsewhere = Path.Combine(_env.Directory, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        Directory.CreateDirectory(Path.GetDirectoryName(_keys)!);
        Directory.CreateSymbolicLink(_keys, elsewhere);

        var e = Assert.Throws<SessionStorageConnectorException>(() => OpenWithDevelopmentKey(store));

        Assert.Contains("symbolic link", e.Message);
        Assert.Contains(_keys, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }

    [Fact]
    public void MissingKeyDirectoriesAreCreatedPrivateAndALooseExistingOneIsTightened()
    {
        using (OpenWithDevelopmentKey(Store("fresh")))
        {
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_keys));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(_keys)!));

        File.SetUnixFileMode(_keys, File.GetUnixFileMode(_keys) | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        using (OpenWithDevelopmentKey(Store("fresh")))
        {
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_keys));
    }

    [Fact]
    public void AKeyFileOthersCanReadIsRefused()
    {
        string store = Store("loose");
        Directory.CreateDirectory(_keys);
        string keyFile = DevelopmentKeys.KeyPath(_keys, Path.GetFullPath(store));
        File.WriteAllBytes(keyFile, RandomNumberGenerator.GetBytes(32));
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var e = Assert.Throws<SessionStorageConnectorException>(() => OpenWithDevelopmentKey(store));

        Assert.Contains("readable or writable by others", e.Message);
        Assert.Contains(keyFile, e.Message);
    }

    [Fact]
    public void AKeyOwnedByAnotherUserIsRefused()
    {
        string store = Store("foreign");
        if (UnixTestFiles.IsRoot)
        {
            // A real foreign file: root reads anything, so only the owner check can refuse it.
            Directory.CreateDirectory(_keys);
            string keyFile = DevelopmentKeys.KeyPath(_keys, Path.GetFullPath(store));
            File.WriteAllBytes(keyFile, RandomNumberGenerator.GetBytes(32));
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            UnixTestFiles.ChownToNobody(keyFile);
            var e = Assert.Throws<SessionStorageConnectorException>(() => OpenWithDevelopmentKey(store));
            Assert.Contains($"owned by user id {UnixTestFiles.Nobody}", e.Message);
        }
        else
        {
            // Not root: a key directory owned by root is the foreign situation this user can meet.
            var e = Assert.Throws<SessionStorageConnectorException>(() =>
                new SessionStorageConnector(new FileSessionStorage(store), new SessionConnectorOptions
                {
                    UseDevelopmentKey = true,
                    DevelopmentKeyDirectory = UnixTestFiles.ForeignDirectory(_env.Directory),
                    Warn = _ => { },
                }));
            Assert.Contains("owned by user id 0", e.Message);
        }
    }

    [Fact]
    public void AStoreWithoutAPathGetsARandomInMemoryDevelopmentKey()
    {
        var observer = new RecordingObserver();
        var storage = new MemorySessionStorage();
        string id = SessionStorageConnector.GenerateId();
        using (var a = new SessionStorageConnector(storage, new SessionConnectorOptions { UseDevelopmentKey = true, DevelopmentKeyDirectory = _keys, Warn = _ => { }, Observer = observer }))
        {
            a.Set(id, new Counter { Value = 1 });
            Assert.Equal(1, a.Get<Counter>(id)!.Value);
        }

        using var b = new SessionStorageConnector(storage, new SessionConnectorOptions { UseDevelopmentKey = true, DevelopmentKeyDirectory = _keys, Warn = _ => { } });
        Assert.Null(b.Get<Counter>(id)); // a fresh random key
        Assert.False(Directory.Exists(_keys));
        Assert.Contains("in-memory", Assert.Single(observer.DevelopmentKeys));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    private sealed class RecordingObserver : SessionConnectorObserver
    {
        public List<string> DevelopmentKeys { get; } = new();

        public override void DevelopmentKeyInUse(string description) => DevelopmentKeys.Add(description);
    }
}
