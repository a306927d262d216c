using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Postgres.Tests.Support;
using Xunit;

namespace SessionConnector.Postgres.Tests;

/// <summary>
/// Connectors on PostgreSQL storage. "Nodes" are connector instances in this process, each with its own storage, its
/// own Npgsql data source (own connection pool) and its own cache, so they share nothing but the database; the
/// compare-and-set in the database and NOTIFY are all that keep them consistent.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ConnectorTests
{
    private static readonly TimeSpan LongCache = TimeSpan.FromMinutes(5);
    private readonly PostgresServer _server;

    public ConnectorTests(PostgresServer server) => _server = server;

    [Fact]
    public void TwoNodesWithFourThreadsEachCountExactlyOnceUnderContention()
    {
        string table = TestNodes.NewTable();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = SharedNodes.Connector(TestNodes.Storage(_server, table), secret);
        using SessionStorageConnector b = SharedNodes.Connector(TestNodes.Storage(_server, table), secret);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, SharedNodes.Bag("n", 0L));
        RunUpdates([a, b, a, b, a, b, a, b], id, 100);
        using SessionStorageConnector fresh = SharedNodes.Connector(TestNodes.Storage(_server, table), secret, TimeSpan.Zero);
        Assert.Equal(800L, fresh.Get<SessionBag>(id)!["n"]);
    }

    [Fact]
    public void TwoProcessesWithFourThreadsEachCountExactlyOnceUnderContention()
    {
        string table = TestNodes.NewTable();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector setup = SharedNodes.Connector(TestNodes.Storage(_server, table), secret, TimeSpan.Zero);
        string id = SessionStorageConnector.GenerateId();
        setup.Set(id, SharedNodes.Bag("n", 0L));
        var environment = new Dictionary<string, string?> { ["SESSIONCONNECTOR_POSTGRES"] = _server.ConnectionString };
        const int PerThread = 60;
        using ChildProcess first = ChildProcess.StartWorker(environment, "count", table, Convert.ToHexString(secret), id, "4", PerThread.ToString(CultureInfo.InvariantCulture));
        using ChildProcess second = ChildProcess.StartWorker(environment, "count", table, Convert.ToHexString(secret), id, "4", PerThread.ToString(CultureInfo.InvariantCulture));
        foreach (ChildProcess node in new[] { first, second })
        {
            Assert.True(node.ReadLine(TimeSpan.FromSeconds(60)) == "ready", node.StandardError);
        }

        // Both start together, so their increments interleave on the one row.
        first.Send("go");
        second.Send("go");
        long total = 0;
        foreach (ChildProcess node in new[] { first, second })
        {
            ChildResult result = node.WaitForSuccess(TimeSpan.FromMinutes(3));
            string done = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
            Assert.StartsWith("done ", done, StringComparison.Ordinal);
            total += long.Parse(done["done ".Length..], CultureInfo.InvariantCulture);
        }

        Assert.Equal(2 * 4 * PerThread, total);
        Assert.Equal((long)total, setup.Get<SessionBag>(id)!["n"]);
    }

    [Fact]
    public async Task AsyncUpdatesFromTwoNodesCountExactly()
    {
        string table = TestNodes.NewTable();
        byte[] secret = SharedNodes.NewSecret();
        await using SessionStorageConnector a = SharedNodes.Connector(TestNodes.Storage(_server, table), secret);
        await using SessionStorageConnector b = SharedNodes.Connector(TestNodes.Storage(_server, table), secret);
        string id = SessionStorageConnector.GenerateId();
        await a.SetAsync(id, SharedNodes.Bag("n", 0L));
        Task[] tasks = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            SessionStorageConnector c = i % 2 == 0 ? a : b;
            for (int j = 0; j < 50; j++) Assert.True(await c.UpdateAsync<SessionBag>(id, bag => bag["n"] = (long)bag["n"]! + 1));
        })).ToArray();
        await Task.WhenAll(tasks);
        await using SessionStorageConnector fresh = SharedNodes.Connector(TestNodes.Storage(_server, table), secret, TimeSpan.Zero);
        Assert.Equal(400L, (await fresh.GetAsync<SessionBag>(id))!["n"]);
        // Each node's cache converges through NOTIFY.
        foreach (SessionStorageConnector node in new[] { a, b })
        {
            Poll.Until(() => (long)node.Get<SessionBag>(id)!["n"]! == 400L, TimeSpan.FromSeconds(3));
            Assert.Equal(400L, (await node.GetAsync<SessionBag>(id))!["n"]);
        }
    }

    [Fact]
    public void AnUpdateOnOneNodeReachesTheOthersCacheThroughNotify()
    {
        string table = TestNodes.NewTable();
        byte[] secret = SharedNodes.NewSecret();
        // The reader's cache outlives the test: a fresh value can only come from an invalidation.
        using SessionStorageConnector a = SharedNodes.Connector(TestNodes.Storage(_server, table), secret, LongCache);
        using SessionStorageConnector b = SharedNodes.Connector(TestNodes.Storage(_server, table), secret, LongCache);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, SharedNodes.Bag("v", "1"));
        Assert.Equal("1", b.Get<SessionBag>(id)!["v"]);

        for (int round = 2; round < 12; round++)
        {
            string expected = round.ToString(System.Globalization.CultureInfo.InvariantCulture);
            a.Update(id, SharedNodes.Bag("v", expected));
            var watch = Stopwatch.StartNew();
            while (b.Get<SessionBag>(id)!["v"] as string != expected && watch.ElapsedMilliseconds < 2000) Thread.Sleep(1);
            Assert.Equal(expected, b.Get<SessionBag>(id)!["v"]);
        }
    }

    [Fact]
    public void ADeleteOnOneNodeIsNeverServedByTheOtherAfterwards()
    {
        string table = TestNodes.NewTable();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = SharedNodes.Connector(TestNodes.Storage(_server, table), secret, LongCache);
        using SessionStorageConnector b = SharedNodes.Connector(TestNodes.Storage(_server, table), secret, LongCache);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, SharedNodes.Bag("v", "1"));
        Assert.NotNull(b.Get<SessionBag>(id));
        a.Delete(id);
        var watch = Stopwatch.StartNew();
        while (b.Get<SessionBag>(id) is not null && watch.ElapsedMilliseconds < 2000) Thread.Sleep(1);
        Assert.Null(b.Get<SessionBag>(id));
        for (int i = 0; i < 50; i++) Assert.Null(b.Get<SessionBag>(id));
    }

    [Fact]
    public void WithoutNotifyTheOtherCacheWouldServeStaleData()
    {
        // The control for the two tests above: a node on another channel hears nothing and keeps its cached copy,
        // so the invalidation tests can fail.
        string table = TestNodes.NewTable();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = SharedNodes.Connector(TestNodes.Storage(_server, table), secret, LongCache);
        using SessionStorageConnector deaf = SharedNodes.Connector(TestNodes.Storage(_server, table, o => o.NotifyChannel = "elsewhere"), secret, LongCache);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, SharedNodes.Bag("v", "1"));
        Assert.Equal("1", deaf.Get<SessionBag>(id)!["v"]);
        a.Update(id, SharedNodes.Bag("v", "2"));
        Thread.Sleep(300);
        Assert.Equal("1", deaf.Get<SessionBag>(id)!["v"]);
    }

    internal static void RunUpdates(SessionStorageConnector[] connectors, string id, int perThread)
    {
        var errors = new ConcurrentQueue<Exception>();
        using var startLine = new Barrier(connectors.Length);
        Thread[] threads = connectors.Select(c => new Thread(() =>
        {
            startLine.SignalAndWait();
            try
            {
                for (int i = 0; i < perThread; i++)
                {
                    if (!c.Update<SessionBag>(id, bag => bag["n"] = (long)bag["n"]! + 1)) errors.Enqueue(new InvalidOperationException("the session vanished"));
                }
            }
            catch (Exception e)
            {
                // An assertion thrown on a plain thread would crash the test host; report it on the test thread instead.
                errors.Enqueue(e);
            }
        })).ToArray();
        foreach (Thread t in threads) t.Start();
        foreach (Thread t in threads) t.Join();
        Assert.Empty(errors);
    }
}
