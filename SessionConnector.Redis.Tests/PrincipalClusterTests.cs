using System;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Redis.Tests;

/// <summary>Sign out everywhere across two nodes on a real Redis Cluster (the generation record and sessions in any slots).</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class PrincipalClusterTests
{
    private static readonly TimeSpan LongCache = TimeSpan.FromMinutes(5);
    private readonly RedisCluster _cluster;
    private readonly ITestOutputHelper _output;

    public PrincipalClusterTests(RedisCluster cluster, ITestOutputHelper output)
    {
        _cluster = cluster;
        _output = output;
        _cluster.WaitHealthy(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task SignOutEverywhereOnOneNodeIsNeverServedByTheOtherAfterItSawIt()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = TestNodes.NewSecret();
        using SessionStorageConnector a = Connector(prefix, secret);
        using SessionStorageConnector b = Connector(prefix, secret);
        await PrincipalScenarios.OtherNodeStopsServingAfterTheBump(a, b, _output);
    }

    [Fact]
    public async Task AHundredConcurrentLoginsOnTwoNodesUnderACapOfThreeLeaveExactlyThree()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = TestNodes.NewSecret();
        using SessionStorageConnector a = Connector(prefix, secret, capped: true);
        using SessionStorageConnector b = Connector(prefix, secret, capped: true);
        await PrincipalScenarios.AHundredConcurrentLoginsOnTwoNodesUnderACapOfThreeLeaveExactlyThree(a, b);
    }

    [Fact]
    public async Task AThousandSessionsOfOnePrincipalEndWithOneWrite()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = TestNodes.NewSecret();
        using SessionStorageConnector a = Connector(prefix, secret);
        using SessionStorageConnector b = Connector(prefix, secret);
        await PrincipalScenarios.AThousandSessionsSignedOut(a, b, _output);
    }

    private SessionStorageConnector Connector(string prefix, byte[] secret, bool capped = false) =>
        new(RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = _cluster.Configuration, KeyPrefix = prefix }),
            new SessionConnectorOptions
            {
                Keys = SessionKeyRing.FromSecret(secret),
                CacheMaxAge = LongCache,
                MaxSessionsPerPrincipal = capped ? 3 : 0,
                SessionCapPolicy = SessionCapPolicy.EndOldest,
            });
}
