using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis.Tests.Support;
using Xunit;

namespace SessionConnector.Redis.Tests;

/// <summary>Soak: concurrent updates of one session lose nothing.</summary>
[Collection(RedisSoakCollection.Name)]
public sealed class ConcurrencyTests
{
    private readonly RedisServer _server;

    public ConcurrencyTests(RedisServer server) => _server = server;

    [Fact]
    public void EightThreadsTimesFiveHundredUpdatesOnOneConnectorCountExactly()
    {
        string prefix = TestNodes.NewPrefix();
        using SessionStorageConnector c = TestNodes.Connector(_server, prefix, SharedNodes.NewSecret());
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, SharedNodes.Bag("n", 0));
        RunUpdates(Enumerable.Repeat(c, 8).ToArray(), id, 500);
        Assert.Equal(4000L, c.Get<SessionBag>(id)!["n"]);
    }

    [Fact]
    public void TwoConnectorsWithSeparateCachesRacingOnOneSessionCountExactly()
    {
        // Different connectors do not share the in-process update gate, so here the Lua compare-and-set does the work.
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret);
        string id = SessionStorageConnector.GenerateId();
        a.Set(id, SharedNodes.Bag("n", 0));
        RunUpdates([a, b, a, b, a, b, a, b], id, 250);
        using SessionStorageConnector fresh = TestNodes.Connector(_server, prefix, secret, TimeSpan.Zero);
        Assert.Equal(2000L, fresh.Get<SessionBag>(id)!["n"]);
    }

    [Fact]
    public async Task AsyncUpdatesFromTwoConnectorsCountExactly()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        using SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret);
        using SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret);
        string id = SessionStorageConnector.GenerateId();
        await a.SetAsync(id, SharedNodes.Bag("n", 0));
        Task[] tasks = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            SessionStorageConnector c = i % 2 == 0 ? a : b;
            for (int j = 0; j < 100; j++) Assert.True(await c.UpdateAsync<SessionBag>(id, bag => bag["n"] = (long)bag["n"]! + 1));
        })).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal(800L, (await a.GetAsync<SessionBag>(id))!["n"]);
    }

    private static void RunUpdates(SessionStorageConnector[] connectors, string id, int perThread) =>
        RunUpdates(connectors, (_, _) => id, perThread);

    /// <summary>Each connector gets a thread that runs <paramref name="perThread"/> counter increments on <paramref name="idFor"/>(thread, i); asserts none failed.</summary>
    internal static void RunUpdates(SessionStorageConnector[] connectors, Func<int, int, string> idFor, int perThread)
    {
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var startLine = new Barrier(connectors.Length);
        Thread[] threads = connectors.Select((c, t) => new Thread(() =>
        {
            startLine.SignalAndWait();
            try
            {
                for (int i = 0; i < perThread; i++)
                {
                    if (!c.Update<SessionBag>(idFor(t, i), bag => bag["n"] = (long)bag["n"]! + 1)) errors.Enqueue(new InvalidOperationException("the session vanished"));
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
