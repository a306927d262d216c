using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Reliability;

/// <summary>
/// Hostile IDs through every public entry point of the connector, the static facade and SessionStore: each must be
/// refused with the specific exception, and nothing outside (or inside) the store directory may be touched.
/// </summary>
[Collection("StaticSessions")]
public sealed class HostileIdTests : IDisposable
{
    private readonly TestConnectors _env = new();
    private readonly ITestOutputHelper _output;
    private readonly string _store;
    private readonly string[] _canaries;

    public HostileIdTests(ITestOutputHelper output)
    {
        _output = output;
        Sessions.Close();
        string b = Path.Combine(_env.Directory, "a", "b");
        _store = Path.Combine(b, "store");
        Directory.CreateDirectory(_store);
        _canaries = new[] { Path.Combine(_env.Directory, "canary.txt"), Path.Combine(_env.Directory, "a", "canary.txt"), Path.Combine(b, "canary.txt"), Path.Combine(b, "canary.session") };
        foreach (string canary in _canaries) File.WriteAllText(canary, "do not touch " + canary);
    }

    public void Dispose()
    {
        Sessions.Close();
        _env.Dispose();
    }

    private SessionStorage CreateStorage() => new FileSessionStorage(_store, FileDurability.ProcessCrash, _env.Clock);

    private static Counter Data => new() { Value = 1, Log = { "x" } };

    /// <summary>Every public method of the connector that takes a session ID.</summary>
    private static IEnumerable<(string Name, Func<string, Task> Call)> ConnectorEntryPoints(SessionStorageConnector c)
    {
        yield return ("Get", id => Task.FromResult(c.Get<Counter>(id)));
        yield return ("Get<SessionBag>", id => Task.FromResult(c.Get<SessionBag>(id)));
        yield return ("TryGet", id => Task.FromResult(c.TryGet<Counter>(id, out _)));
        yield return ("GetAsync", async id => await c.GetAsync<Counter>(id));
        yield return ("TryGetAsync", async id => await c.TryGetAsync<Counter>(id));
        yield return ("Set", id => Task.FromResult(c.Set(id, Data)));
        yield return ("Set(expiry)", id => Task.FromResult(c.Set(id, Data, TimeSpan.FromMinutes(1))));
        yield return ("SetAsync", async id => await c.SetAsync(id, Data));
        yield return ("Update(Action)", id => Task.FromResult(c.Update<Counter>(id, x => x.Value++)));
        yield return ("Update(Func)", id => Task.FromResult(c.Update<Counter>(id, x => x)));
        yield return ("Update(SessionBag)", id => Task.FromResult(c.Update(id, new SessionBag { ["k"] = 1 })));
        yield return ("UpdateAsync(Action)", async id => await c.UpdateAsync<Counter>(id, x => x.Value++));
        yield return ("UpdateAsync(Func)", async id => await c.UpdateAsync<Counter>(id, x => x));
        yield return ("UpdateAsync(SessionBag)", async id => await c.UpdateAsync(id, new SessionBag { ["k"] = 1 }));
        yield return ("Delete", id => Task.FromResult(c.Delete(id)));
        yield return ("DeleteAsync", async id => await c.DeleteAsync(id));
    }

    /// <summary>Every public member of the static facade that takes a session ID.</summary>
    private static IEnumerable<(string Name, Func<string, Task> Call)> FacadeEntryPoints()
    {
        yield return ("Sessions.Get", id => Task.FromResult(Sessions.Get<Counter>(id)));
        yield return ("Sessions.TryGet", id => Task.FromResult(Sessions.TryGet<Counter>(id, out _)));
        yield return ("Sessions.GetAsync", async id => await Sessions.GetAsync<Counter>(id));
        yield return ("Sessions.TryGetAsync", async id => await Sessions.TryGetAsync<Counter>(id));
        yield return ("Sessions.Set", id => Task.FromResult(Sessions.Set(id, Data)));
        yield return ("Sessions.SetAsync", async id => await Sessions.SetAsync(id, Data, TimeSpan.FromMinutes(1)));
        yield return ("Sessions.Update(Action)", id => Task.FromResult(Sessions.Update<Counter>(id, x => x.Value++)));
        yield return ("Sessions.Update(Func)", id => Task.FromResult(Sessions.Update<Counter>(id, x => x)));
        yield return ("Sessions.Update(SessionBag)", id => Task.FromResult(Sessions.Update(id, new SessionBag { ["k"] = 1 })));
        yield return ("Sessions.UpdateAsync(Action)", async id => await Sessions.UpdateAsync<Counter>(id, x => x.Value++));
        yield return ("Sessions.UpdateAsync(Func)", async id => await Sessions.UpdateAsync<Counter>(id, x => x));
        yield return ("Sessions.UpdateAsync(SessionBag)", async id => await Sessions.UpdateAsync(id, new SessionBag { ["k"] = 1 }));
        yield return ("Sessions.Delete", id => Task.FromResult(Sessions.Delete(id)));
        yield return ("Sessions.DeleteAsync", async id => await Sessions.DeleteAsync(id));
    }

    private static IEnumerable<(string Name, Func<string, Task> Call)> SessionStoreEntryPoints(SessionStorageConnector? c)
    {
        yield return ("new SessionStore<Counter>", id => Task.FromResult(new SessionStore<Counter>(id, null, c)));
        yield return ("new SessionStore<SessionBag>", id => Task.FromResult(new SessionStore<SessionBag>(id, new SessionStoreOptions { IdleTimeout = TimeSpan.FromMinutes(5) }, c)));
    }

    [Fact]
    public async Task HostileIdsAreRefusedByEveryEntryPointAndTouchNoFile()
    {
        bool atimes = TreeSnapshot.AccessTimesTracked(_env.Directory);
        using SessionStorageConnector c = _env.Create(CreateStorage());
        Sessions.Configure(new FileSessionStorage(_store, FileDurability.ProcessCrash, _env.Clock), new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(TestConnectors.Key), TimeProvider = _env.Clock });

        // A live session in the store, so a traversal that reached it would have something to read or delete.
        string victim = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(victim, Data));

        TreeSnapshot.AgeAccessTimes(_env.Directory);
        TreeSnapshot before = TreeSnapshot.Take(_env.Directory);

        var entryPoints = ConnectorEntryPoints(c).Concat(FacadeEntryPoints()).Concat(SessionStoreEntryPoints(c)).Concat(SessionStoreEntryPoints(null)).ToList();
        string?[] corpus = HostileIds.Corpus(_canaries[0]).ToArray();
        int calls = 0;
        foreach (string? id in corpus)
        {
            foreach ((string name, Func<string, Task> call) in entryPoints)
            {
                if (id is null && name.StartsWith("new SessionStore", StringComparison.Ordinal)) continue; // null means "no session yet" there
                Exception? e = await HostileIds.Capture(() => call(id!));
                HostileIds.AssertRejectedExactly(id, name, e);
                calls++;
            }
        }

        // SessionStore: a null ID is the documented "new visitor" case and gets a fresh, valid ID.
        var fresh = new SessionStore<Counter>(null, null, c);
        Assert.Equal(43, fresh.Id.Length);

        IReadOnlyList<string> diffs = before.Differences(TreeSnapshot.Take(_env.Directory));
        foreach (string canary in _canaries) Assert.Equal("do not touch " + canary, File.ReadAllText(canary));
        Assert.Equal(1L, c.Get<Counter>(victim)!.Value);

        _output.WriteLine($"{corpus.Length} hostile IDs x {entryPoints.Count} entry points = {calls} calls, all refused with the specific exception; " +
                          $"{diffs.Count} file-system changes under the test root ({(atimes ? "reads detected via atime" : "atime not tracked here: reads not detectable")})");
        Assert.Empty(diffs);
    }

    [Fact]
    public void OddButValidIdsStayInsideTheStore()
    {
        using SessionStorageConnector c = _env.Create(CreateStorage(), o => o.CacheCapacity = 0);
        TreeSnapshot.AgeAccessTimes(_env.Directory);
        TreeSnapshot before = TreeSnapshot.Take(_env.Directory, exclude: _store);

        foreach (string id in HostileIds.OddButValid)
        {
            Assert.True(c.Set(id, new Counter { Value = id.Length }), id);
            Assert.Equal(id.Length, c.Get<Counter>(id)!.Value);
            Assert.True(c.Update<Counter>(id, x => x.Value++), id);
            var store = new SessionStore<Counter>(id, null, c);
            Assert.Equal(id.Length + 1, store.Data.Value);
            store.CycleId();
            Assert.NotEqual(id, store.Id);
            Assert.Null(c.Get<Counter>(id));
            Assert.True(c.Delete(store.Id), id);
        }

        IReadOnlyList<string> diffs = before.Differences(TreeSnapshot.Take(_env.Directory, exclude: _store));
        string[] unexpected = Directory.EnumerateFileSystemEntries(_store, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(_store, p))
            .Where(p => p is not (".tmp" or ".locks") && !p.StartsWith(".locks" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToArray();
        _output.WriteLine($"{HostileIds.OddButValid.Length} odd-but-valid IDs round-tripped (Set/Get/Update/SessionStore.CycleId/Delete); {diffs.Count} changes outside the store; {unexpected.Length} leftover entries in it");
        Assert.Empty(diffs);
        Assert.Empty(unexpected);
    }
}
