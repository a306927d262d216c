using System;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using SessionConnector.Storage;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Testing.Contracts;

/// <summary>
/// The contract of a store that several nodes share (Redis, Redis Cluster, PostgreSQL): on top of
/// <see cref="StorageContractTests"/>, a write on one node invalidates the others' caches, and sign out everywhere and the
/// per-principal cap hold across two nodes that each cache for five minutes.
/// </summary>
public abstract class SharedStorageContractTests : StorageContractTests
{
    private static readonly TimeSpan LongCache = TimeSpan.FromMinutes(5);

    protected SharedStorageContractTests(ITestOutputHelper output)
        : base(output)
    {
    }

    /// <summary>The name of a fresh, empty store (a Redis key prefix, a PostgreSQL table).</summary>
    protected abstract string NewStore();

    /// <summary>A node's storage on <paramref name="store"/>, with its own connection as a separate process would have.</summary>
    protected abstract SessionStorage Open(string store);

    /// <summary>
    /// How soon after a sign out everywhere returns the other node must stop serving the session: Redis pub/sub delivers
    /// within 100 ms; PostgreSQL's NOTIFY goes out at commit and reaches a listener later.
    /// </summary>
    protected abstract TimeSpan PropagationBound { get; }

    /// <summary>The invalidations <paramref name="storage"/> has received from other nodes: single keys and whole-cache ones.</summary>
    protected abstract (long InvalidationsReceived, long FullInvalidations) InvalidationCounts(SessionStorage storage);

    protected sealed override bool UsesFakeClock => false;

    protected sealed override SessionStorage CreateStorage(FakeTimeProvider clock) => Open(NewStore());

    [Fact]
    public void OtherNodesReceiveInvalidationsAndTheWriterIgnoresItsOwn()
    {
        string store = NewStore();
        using SessionStorage a = Open(store);
        using SessionStorage b = Open(store);
        Assert.True(a.RaisesInvalidations);
        a.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        a.TryWrite(K, new byte[] { 2 }, null, 1, 2);
        Assert.False(a.TryWrite(K, new byte[] { 3 }, null, 1, 3)); // refused: announces nothing
        a.Delete(K);
        a.Clear();
        Poll.Until(() => InvalidationCounts(b).InvalidationsReceived == 4, TimeSpan.FromSeconds(3));
        Assert.Equal(4, InvalidationCounts(b).InvalidationsReceived);
        Assert.Equal(0, InvalidationCounts(a).InvalidationsReceived);
        // At least the clear's (a subscription connecting late under load also empties the cache, by design).
        Assert.True(InvalidationCounts(b).FullInvalidations >= 1);
    }

    [Fact]
    public void KeysThatAreNotStorageKeysAreRefused()
    {
        using SessionStorage storage = Open(NewStore());
        Assert.Throws<ArgumentException>(() => storage.Read("k"));
        Assert.Throws<ArgumentException>(() => storage.TryWrite("admin:" + K, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        // A pattern character (Redis SCAN) and a quote (SQL) never reach the server.
        Assert.Throws<ArgumentException>(() => storage.Delete(K[..42] + "*"));
        Assert.Throws<ArgumentException>(() => storage.Delete(K[..42] + "'"));
    }

    [Fact]
    public async Task SignOutEverywhereOnOneNodeIsNeverServedByTheOtherAfterItSawIt()
    {
        (SessionStorageConnector a, SessionStorageConnector b) = TwoNodes();
        await PrincipalScenarios.OtherNodeStopsServingAfterTheBump(a, b, PropagationBound, Output);
    }

    [Fact]
    public async Task AHundredConcurrentLoginsOnTwoNodesUnderACapOfThreeLeaveExactlyThree()
    {
        (SessionStorageConnector a, SessionStorageConnector b) = TwoNodes(capped: true);
        await PrincipalScenarios.AHundredConcurrentLoginsOnTwoNodesUnderACapOfThreeLeaveExactlyThree(a, b);
    }

    [Fact]
    public async Task AThousandSessionsOfOnePrincipalEndWithOneWrite()
    {
        (SessionStorageConnector a, SessionStorageConnector b) = TwoNodes();
        await PrincipalScenarios.AThousandSessionsSignedOut(a, b, PropagationBound, Output);
    }

    /// <summary>
    /// Two nodes on one fresh store, sharing a key, each caching for five minutes (capped: 3 sessions a principal);
    /// disposed with the test.
    /// </summary>
    private (SessionStorageConnector A, SessionStorageConnector B) TwoNodes(bool capped = false)
    {
        string store = NewStore();
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        return (Owned(Connector(store, secret, capped)), Owned(Connector(store, secret, capped)));
    }

    private SessionStorageConnector Connector(string store, byte[] secret, bool capped) =>
        new(Open(store), new SessionConnectorOptions
        {
            Keys = SessionKeyRing.FromSecret(secret),
            CacheMaxAge = LongCache,
            MaxSessionsPerPrincipal = capped ? 3 : 0,
            SessionCapPolicy = SessionCapPolicy.EndOldest,
        });
}
