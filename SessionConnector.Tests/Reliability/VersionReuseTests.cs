using System;
using SessionConnector;
using SessionConnector.Protection;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Reliability;

/// <summary>
/// Found by the linearizability test: record versions are max(previous + 1, now in ticks), so when the clock has not
/// moved (a frozen or coarse clock, or one stepped back) a session deleted and created again gets the version its
/// deleted predecessor had, and a slow Update that read the predecessor wins its compare-and-set (ABA): it overwrites
/// the new session with the deleted one's data plus its change.
/// </summary>
public sealed class VersionReuseTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public void ASessionDeletedAndCreatedAgainNeverRepeatsAVersion(StorageKind kind)
    {
        SessionStorage storage = _env.CreateStorage(kind);
        using SessionStorageConnector c = _env.Create(storage, o => o.CacheCapacity = 0);
        string id = SessionStorageConnector.GenerateId();
        string key;
        using (var ring = SessionKeyRing.FromSecret(TestConnectors.Key))
        using (var protector = new SessionProtector(ring))
        {
            key = protector.DeriveStorageKey(id);
        }

        Assert.True(c.Set(id, new Counter { Value = 1 }));
        long first = storage.Read(key)!.Value.Version;
        Assert.True(c.Delete(id));
        Assert.True(c.Set(id, new Counter { Value = 2 }));
        long second = storage.Read(key)!.Value.Version;
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public void ASlowUpdateNeverOverwritesASessionCreatedAfterADelete(StorageKind kind)
    {
        SessionStorage storage = _env.CreateStorage(kind);
        using SessionStorageConnector c = _env.Create(storage, o => o.CacheCapacity = 0);
        // Another request (or process) with its own connector: writers of one connector queue behind each other.
        SessionStorageConnector other = _env.Create(storage, o => o.CacheCapacity = 0);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new Counter { Value = 1 }));

        // The update reads Value = 1; while its change runs, the session is logged out and a new one is stored.
        bool raced = false;
        bool updated = c.Update<Counter>(id, x =>
        {
            if (!raced)
            {
                raced = true;
                Assert.True(other.Delete(id));
                Assert.True(other.Set(id, new Counter { Value = 2000 }));
            }

            x.Value++;
            x.Log.Add("stale");
        });

        Counter? now = c.Get<Counter>(id);
        Assert.NotNull(now);
        // Correct outcomes: the update retried on the new session (2001, one "stale") or gave up (2000, no log).
        // The bug: the stale update's compare-and-set matched the recreated record's version, giving Value = 2.
        Assert.True(now.Value >= 2000, $"the update returned {updated} and left Value = {now.Value}: it overwrote the session created after the delete");
    }
}
