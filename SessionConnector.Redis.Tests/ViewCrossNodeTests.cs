using System;
using System.Diagnostics;
using System.Threading;
using SessionConnector.Redis.Tests.Support;
using Xunit;

namespace SessionConnector.Redis.Tests;

[SessionData]
public partial class ViewScore
{
    public int Value { get; set; }
}

/// <summary>
/// TryRead's views on a node whose cache another node invalidates: a hit on the fast (monotonic-clock) path must still
/// give way to a pub/sub invalidation, never to a timer. Each reader's cache outlives the test, so fresh data can only
/// come from the invalidation.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ViewCrossNodeTests
{
    private static readonly TimeSpan LongCache = TimeSpan.FromMinutes(5);
    private readonly RedisServer _server;

    public ViewCrossNodeTests(RedisServer server) => _server = server;

    [Fact]
    public void WhenAnotherNodeWritesTheViewReaderSeesTheNewVersion()
    {
        (SessionStorageConnector a, SessionStorageConnector b, string id) = TwoNodes();
        using (a)
        using (b)
        {
            Assert.True(b.TryRead(id, out ViewScore.View first));
            Assert.True(b.TryRead(id, out ViewScore.View _)); // cached in b, fast path armed

            for (int round = 2; round < 12; round++)
            {
                Assert.True(a.Update<ViewScore>(id, s => s.Value = round));
                Assert.True(WaitFor(() => b.TryRead(id, out ViewScore.View v) && v.Value == round), $"round {round}: b never saw the update");
            }

            Assert.Equal(1, first.Value); // the first view still reads the version it was taken from
        }
    }

    [Fact]
    public void WhenAnotherNodeDeletesTheViewReaderStopsServingIt()
    {
        (SessionStorageConnector a, SessionStorageConnector b, string id) = TwoNodes();
        using (a)
        using (b)
        {
            Assert.True(b.TryRead(id, out ViewScore.View _));
            Assert.True(b.TryRead(id, out ViewScore.View _));

            Assert.True(a.Delete(id));

            Assert.True(WaitFor(() => !b.TryRead(id, out ViewScore.View _)), "b kept serving the deleted session");
            for (int i = 0; i < 200; i++)
            {
                Assert.False(b.TryRead(id, out ViewScore.View _));
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>Two nodes over one prefix with long-lived caches, and a session node a wrote.</summary>
    private (SessionStorageConnector A, SessionStorageConnector B, string Id) TwoNodes()
    {
        string prefix = TestNodes.NewPrefix();
        byte[] secret = SharedNodes.NewSecret();
        SessionStorageConnector a = TestNodes.Connector(_server, prefix, secret, LongCache);
        SessionStorageConnector b = TestNodes.Connector(_server, prefix, secret, LongCache);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(a.Set(id, new ViewScore { Value = 1 }));
        return (a, b, id);
    }

    // A correctness bound, not a latency goal: the invalidation must arrive at all.
    private static bool WaitFor(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(5)) return false;
            Thread.Yield();
        }

        return true;
    }
}
