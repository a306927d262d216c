using System;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Redis.Tests;

/// <summary>Sign out everywhere across two nodes on one Redis server; each node's cache would serve for five minutes.</summary>
[Collection(RedisCollection.Name)]
public sealed class PrincipalCrossNodeTests
{
    private static readonly TimeSpan LongCache = TimeSpan.FromMinutes(5);
    private readonly RedisServer _server;
    private readonly ITestOutputHelper _output;

    public PrincipalCrossNodeTests(RedisServer server, ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    [Fact]
    public async Task SignOutEverywhereOnOneNodeIsNeverServedByTheOtherAfterItSawIt()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = TestNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret, LongCache);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret, LongCache);
        await PrincipalScenarios.OtherNodeStopsServingAfterTheBump(a, b, _output);
    }

    [Fact]
    public async Task AHundredConcurrentLoginsOnTwoNodesUnderACapOfThreeLeaveExactlyThree()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = TestNodes.NewSecret();
        using SessionStorageConnector a = Capped(prefix, secret);
        using SessionStorageConnector b = Capped(prefix, secret);
        await PrincipalScenarios.AHundredConcurrentLoginsOnTwoNodesUnderACapOfThreeLeaveExactlyThree(a, b);
    }

    [Fact]
    public async Task AThousandSessionsOfOnePrincipalEndWithOneWrite()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = TestNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret, LongCache);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret, LongCache);
        await PrincipalScenarios.AThousandSessionsSignedOut(a, b, _output);
    }

    private SessionStorageConnector Capped(string prefix, byte[] secret) =>
        new(TestNodes.Storage(_server, prefix), new SessionConnectorOptions
        {
            Keys = SessionKeyRing.FromSecret(secret),
            CacheMaxAge = LongCache,
            MaxSessionsPerPrincipal = 3,
            SessionCapPolicy = SessionCapPolicy.EndOldest,
        });
}
