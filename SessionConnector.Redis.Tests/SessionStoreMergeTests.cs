using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Support;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>SessionStore commits racing on Redis (two connectors, the Lua compare-and-set) merge and lose nothing.</summary>
[Collection(RedisSoakCollection.Name)]
public sealed class SessionStoreMergeTests
{
    private readonly RedisServer _server;

    public SessionStoreMergeTests(RedisServer server) => _server = server;

    private static SessionStoreOptions Options => new() { MaxMergeAttempts = 64 };

    [Fact]
    public async Task EightRacingCommitsOfDifferentMembersAndACounterThroughTwoConnectorsKeepEveryChange()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret);
        var seed = new SessionStore<MergeCounters>(null, Options, a);
        seed.Data.Total = 10;
        Assert.Equal(SessionCommitResult.Saved, seed.Commit());

        const int n = 8;
        var stores = Enumerable.Range(0, n).Select(i => new SessionStore<MergeCounters>(seed.Id, Options, i % 2 == 0 ? a : b)).ToArray();
        foreach (var s in stores) await s.LoadAsync();
        using var start = new Barrier(n);
        SessionCommitResult[] results = await Task.WhenAll(Enumerable.Range(0, n).Select(i => Task.Run(async () =>
        {
            for (int k = 0; k <= i; k++) stores[i].Data.Bump(i);
            stores[i].Data.Total += 1;
            start.SignalAndWait();
            return i % 2 == 0 ? stores[i].Commit() : await stores[i].CommitAsync();
        })));

        Assert.All(results, r => Assert.Equal(SessionCommitResult.Saved, r));
        using SessionStorageConnector fresh = TestNodes.Connector(_server, prefix, secret, System.TimeSpan.Zero);
        MergeCounters final = fresh.Get<MergeCounters>(seed.Id)!;
        for (int i = 0; i < n; i++) Assert.Equal(i + 1, final.Get(i));
        Assert.Equal(10 + n, final.Total);
    }

    [Fact]
    public async Task RepeatedRacingRequestsOnTwoConnectorsLoseNoIncrement()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret);
        var seed = new SessionStore<MergeCounters>(null, Options, a);
        seed.Data.M7 = 1;
        seed.Commit();
        const int threads = 4, rounds = 30;
        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(async () =>
        {
            for (int r = 0; r < rounds; r++)
            {
                var s = new SessionStore<MergeCounters>(seed.Id, Options, t % 2 == 0 ? a : b);
                await s.LoadAsync();
                s.Data.Bump(t);
                s.Data.Total++;
                Assert.Equal(SessionCommitResult.Saved, await s.CommitAsync());
            }
        })));

        using SessionStorageConnector fresh = TestNodes.Connector(_server, prefix, secret, System.TimeSpan.Zero);
        MergeCounters final = fresh.Get<MergeCounters>(seed.Id)!;
        Assert.Equal(threads * rounds, final.Total);
        for (int t = 0; t < threads; t++) Assert.Equal(rounds, final.Get(t));
        Assert.Equal(1, final.M7);
    }
}
