using System;
using System.Threading.Tasks;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Faults;

/// <summary>
/// Issue 23, item 3: fail-safe reads. While storage fails, a read may serve the last copy storage confirmed, for at most
/// FailSafeMaxStaleness, never past its sealed expiry, never after a deletion this connector knows of; writes still fail.
/// </summary>
public sealed class FailSafeTests : IDisposable
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Staleness = TimeSpan.FromMinutes(2);
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    private (SessionStorageConnector Connector, FaultyStorage Store, FaultObserver Observer) Create(TimeSpan staleness, MemorySessionStorage? shared = null)
    {
        var store = new FaultyStorage(shared ?? new MemorySessionStorage(1000, _env.Clock));
        var observer = new FaultObserver();
        SessionStorageConnector c = _env.Create(store, o =>
        {
            o.Observer = observer;
            o.CacheMaxAge = MaxAge;
            o.FailSafeMaxStaleness = staleness;
        });
        return (c, store, observer);
    }

    [Fact]
    public async Task WhileStorageFailsAReadServesTheLastConfirmedCopyLoggedAndCounted()
    {
        (SessionStorageConnector c, FaultyStorage store, FaultObserver observer) = Create(Staleness);
        using (c)
        {
            var stale = new MetricCounter(c.Meter, "sessionconnector.cache.stale_served");
            string id = SessionStorageConnector.GenerateId();
            Assert.True(c.Set(id, new SessionBag { ["user"] = "ada" }, TimeSpan.FromHours(1)));
            _env.Clock.Advance(TimeSpan.FromSeconds(30)); // past the cache's maximum age: a read goes to storage
            store.Mode = FaultMode.Throws;

            Assert.Equal("ada", c.Get<SessionBag>(id)!["user"]);
            Assert.Equal("ada", (await c.GetAsync<SessionBag>(id))!["user"]);
            Assert.Equal(2, stale.Total);
            Assert.Equal(TimeSpan.FromSeconds(30), Assert.Single(observer.StaleServed.ToArray()[..1]));
            Assert.Equal(2, observer.Failures.Count); // the failure itself is logged too

            // Writes still fail: nothing is acknowledged that storage did not take.
            await Assert.ThrowsAsync<SessionStorageException>(async () => await c.SetAsync(id, new SessionBag { ["user"] = "eve" }));
            await Assert.ThrowsAsync<SessionStorageException>(async () => await c.UpdateAsync<SessionBag>(id, b => b["user"] = "eve"));

            // The store comes back: the read is fresh again and nothing is served stale.
            store.Mode = FaultMode.Healthy;
            Assert.Equal("ada", c.Get<SessionBag>(id)!["user"]);
            Assert.Equal(2, stale.Total);
        }
    }

    [Fact]
    public void PastTheStalenessBoundTheReadFails()
    {
        (SessionStorageConnector c, FaultyStorage store, _) = Create(Staleness);
        using (c)
        {
            string id = SessionStorageConnector.GenerateId();
            c.Set(id, new SessionBag { ["user"] = "ada" });
            _env.Clock.Advance(Staleness + TimeSpan.FromSeconds(1));
            store.Mode = FaultMode.Throws;
            Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(id));
        }
    }

    [Fact]
    public void NeverPastTheSealedExpiry()
    {
        (SessionStorageConnector c, FaultyStorage store, _) = Create(Staleness);
        using (c)
        {
            string id = SessionStorageConnector.GenerateId();
            c.Set(id, new SessionBag { ["user"] = "ada" }, TimeSpan.FromSeconds(20));
            _env.Clock.Advance(TimeSpan.FromSeconds(15));
            store.Mode = FaultMode.Throws;
            Assert.Equal("ada", c.Get<SessionBag>(id)!["user"]); // stale but alive
            _env.Clock.Advance(TimeSpan.FromSeconds(6));
            Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(id)); // expired: never served
        }
    }

    [Fact]
    public void NeverASessionSignedOutHere()
    {
        (SessionStorageConnector c, FaultyStorage store, _) = Create(Staleness);
        using (c)
        {
            string id = SessionStorageConnector.GenerateId();
            c.Set(id, new SessionBag { ["user"] = "ada" });
            Assert.True(c.Delete(id));
            store.Mode = FaultMode.Throws;
            Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(id));
        }
    }

    [Fact]
    public void ASignOutThatFailedDropsTheCopyInsteadOfServingIt()
    {
        (SessionStorageConnector c, FaultyStorage store, _) = Create(Staleness);
        using (c)
        {
            string id = SessionStorageConnector.GenerateId();
            c.Set(id, new SessionBag { ["user"] = "ada" });
            store.Mode = FaultMode.Throws;
            Assert.Throws<SessionStorageException>(() => c.Delete(id));
            Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(id));
        }
    }

    [Fact]
    public void NeverASessionAnotherNodeDeletedOnceStorageSaidAbsent()
    {
        var shared = new MemorySessionStorage(1000, _env.Clock);
        (SessionStorageConnector a, FaultyStorage storeA, _) = Create(Staleness, shared);
        using (a)
        using (SessionStorageConnector b = _env.Create(new FaultyStorage(shared)))
        {
            string id = SessionStorageConnector.GenerateId();
            a.Set(id, new SessionBag { ["user"] = "ada" });
            Assert.True(b.Delete(id)); // another node signs the user out
            _env.Clock.Advance(TimeSpan.FromSeconds(11));
            Assert.Null(a.Get<SessionBag>(id)); // storage answers absent: the kept copy is forgotten
            storeA.Mode = FaultMode.Throws;
            Assert.Throws<SessionStorageException>(() => a.Get<SessionBag>(id));
        }
    }

    [Fact]
    public void AnInvalidationRemovesTheCopyFailSafeWouldServe()
    {
        var faulty = new FaultyStorage(new MemorySessionStorage(1000, _env.Clock));
        var shared = new HookedStorage(faulty, raisesInvalidations: true); // announces other nodes' changes, as Redis does
        using SessionStorageConnector c = _env.Create(shared, o => o.FailSafeMaxStaleness = Staleness);
        string changed = SessionStorageConnector.GenerateId();
        string untouched = SessionStorageConnector.GenerateId();
        c.Set(changed, new SessionBag { ["user"] = "ada" });
        c.Set(untouched, new SessionBag { ["user"] = "bob" });
        _env.Clock.Advance(TimeSpan.FromSeconds(11));
        shared.Invalidate(StorageKeyOf(changed)); // another node signed ada out just before the store went away
        faulty.Mode = FaultMode.Throws;
        Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(changed));
        Assert.Equal("bob", c.Get<SessionBag>(untouched)!["user"]);
    }

    [Fact]
    public void ACopySetAsideInOneOutageNeverAnswersAfterANewerWriteWasAcknowledged()
    {
        // Found by scripts/soak.sh: a copy kept when Redis dropped, a write acknowledged after it came back, the cache entry
        // gone (capacity), then the next outage served the older copy.
        var store = new FaultyStorage(new MemorySessionStorage(1000, _env.Clock)) { Shared = true };
        using SessionStorageConnector c = _env.Create(store, o =>
        {
            o.CacheCapacity = 1;
            o.FailSafeMaxStaleness = Staleness;
        });
        string a = SessionStorageConnector.GenerateId();
        c.Set(a, new SessionBag { ["n"] = 1 });
        store.InvalidateAll(); // outage 1: the copy of n = 1 is set aside
        store.Mode = FaultMode.Throws;
        Assert.Equal(1, Convert.ToInt32(c.Get<SessionBag>(a)!["n"])); // and answers while the store fails
        store.Mode = FaultMode.Healthy;
        Assert.True(c.Update<SessionBag>(a, bag => bag["n"] = 2)); // acknowledged
        c.Set(SessionStorageConnector.GenerateId(), new SessionBag { ["n"] = 0 }); // evicts a's cache entry
        _env.Clock.Advance(TimeSpan.FromSeconds(11));
        store.Mode = FaultMode.Throws; // outage 2
        SessionBag? served = null;
        try
        {
            served = c.Get<SessionBag>(a);
        }
        catch (SessionStorageException)
        {
        }

        Assert.True(served is null || Convert.ToInt32(served["n"]) == 2, "served n = " + served?["n"]);
    }

    [Fact]
    public void OffByDefault()
    {
        (SessionStorageConnector c, FaultyStorage store, FaultObserver observer) = Create(TimeSpan.Zero);
        using (c)
        {
            string id = SessionStorageConnector.GenerateId();
            c.Set(id, new SessionBag { ["user"] = "ada" });
            _env.Clock.Advance(TimeSpan.FromSeconds(11));
            store.Mode = FaultMode.Throws;
            Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(id));
            Assert.Empty(observer.StaleServed);
        }
    }

    private static string StorageKeyOf(string id)
    {
        using var ring = SessionKeyRing.FromSecret(TestConnectors.Key);
        using var protector = new SessionConnector.Protection.SessionProtector(ring);
        return protector.DeriveStorageKey(id);
    }
}
