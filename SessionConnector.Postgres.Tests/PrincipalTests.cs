using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Postgres.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Postgres.Tests;

/// <summary>Sign out everywhere and caps over two nodes sharing one PostgreSQL table (each with a five-minute cache).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PrincipalTests
{
    private static readonly TimeSpan LongCache = TimeSpan.FromMinutes(5);
    private readonly PostgresServer _server;
    private readonly ITestOutputHelper _output;

    public PrincipalTests(PostgresServer server, ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    [Fact]
    public async Task SignOutEverywhereOnOneNodeIsNeverServedByTheOtherAfterItSawIt()
    {
        string table = TestNodes.NewTable();
        byte[] secret = TestNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(TestNodes.Storage(_server, table), secret, LongCache);
        using SessionStorageConnector b = TestNodes.Connector(TestNodes.Storage(_server, table), secret, LongCache);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, TestNodes.Bag("v", "1"), TimeSpan.FromHours(1));
        Assert.True(a.BindPrincipal(id, "ada"));
        Assert.NotNull(b.Get<SessionBag>(id));

        long bumpedAt = 0, firstAbsentAt = 0;
        int servedAfterAbsent = 0;
        using var stop = new CancellationTokenSource();
        Task reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                bool found = b.Get<SessionBag>(id) is not null;
                if (!found && firstAbsentAt == 0) firstAbsentAt = Stopwatch.GetTimestamp();
                else if (found && firstAbsentAt != 0) servedAfterAbsent++;
            }
        });

        await Task.Delay(50);
        var watch = Stopwatch.StartNew();
        a.SignOutEverywhere("ada");
        double bumpMs = watch.Elapsed.TotalMilliseconds;
        bumpedAt = Stopwatch.GetTimestamp();
        await Task.Delay(1000);
        stop.Cancel();
        await reader;

        Assert.NotEqual(0, firstAbsentAt);
        Assert.Equal(0, servedAfterAbsent);
        double lagMs = Stopwatch.GetElapsedTime(bumpedAt, firstAbsentAt).TotalMilliseconds;
        _output.WriteLine($"bump {bumpMs:F2} ms; b stopped serving {lagMs:F2} ms after it returned");
        Assert.True(lagMs <= 500, $"b served the signed-out session for {lagMs} ms after the bump");
    }

    [Fact]
    public async Task AHundredConcurrentLoginsOnTwoNodesUnderACapOfThreeLeaveExactlyThree()
    {
        string table = TestNodes.NewTable();
        byte[] secret = TestNodes.NewSecret();
        using SessionStorageConnector a = Capped(table, secret);
        using SessionStorageConnector b = Capped(table, secret);
        string[] ids = Enumerable.Range(0, 100).Select(_ => SessionStorageConnector.GenerateId()).ToArray();
        foreach (string id in ids) await a.SetAsync(id, TestNodes.Bag("v", 1), TimeSpan.FromHours(1));

        await Task.WhenAll(ids.Select((id, i) => Task.Run(async () => await (i % 2 == 0 ? a : b).BindPrincipalAsync(id, "capped"))));

        int live = 0;
        foreach (string id in ids) if (await a.GetAsync<SessionBag>(id) is not null) live++;
        Assert.Equal(3, live);
        Assert.Equal(3, (await b.ListPrincipalSessionsAsync("capped")).Count);
    }

    private SessionStorageConnector Capped(string table, byte[] secret) =>
        new(TestNodes.Storage(_server, table), new SessionConnectorOptions
        {
            Keys = SessionKeyRing.FromSecret(secret),
            CacheMaxAge = LongCache,
            MaxSessionsPerPrincipal = 3,
            SessionCapPolicy = SessionCapPolicy.EndOldest,
        });
}
