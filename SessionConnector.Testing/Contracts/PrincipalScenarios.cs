using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Testing.Contracts;

/// <summary>Sign-out-everywhere scenarios over two nodes of one shared store (<see cref="SharedStorageContractTests"/>).</summary>
public static class PrincipalScenarios
{
    /// <summary>
    /// Node b keeps serving the principal's session from its cache (which would serve for minutes) while node a signs the
    /// principal out. Once b has seen the session gone it never serves it again, and it saw it gone within
    /// <paramref name="bound"/> of the bump.
    /// </summary>
    public static async Task OtherNodeStopsServingAfterTheBump(SessionStorageConnector a, SessionStorageConnector b, TimeSpan bound, ITestOutputHelper output)
    {
        string id = SessionStorageConnector.GenerateId();
        string unbound = SessionStorageConnector.GenerateId();
        a.Set(id, new SessionBag { ["v"] = "1" }, TimeSpan.FromHours(1));
        a.Set(unbound, new SessionBag { ["v"] = "1" }, TimeSpan.FromHours(1));
        Assert.True(a.BindPrincipal(id, "ada"));
        Assert.NotNull(b.Get<SessionBag>(id)); // now cached on b, with its generation

        long bumpedAt = 0, firstAbsentAt = 0;
        int servedAfterAbsent = 0, reads = 0;
        using var stop = new CancellationTokenSource();
        Task reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                bool found = b.Get<SessionBag>(id) is not null;
                reads++;
                if (!found && firstAbsentAt == 0) firstAbsentAt = Stopwatch.GetTimestamp();
                else if (found && firstAbsentAt != 0) servedAfterAbsent++;
            }
        });

        await Task.Delay(50);
        var watch = Stopwatch.StartNew();
        a.SignOutEverywhere("ada");
        double bumpMs = watch.Elapsed.TotalMilliseconds;
        bumpedAt = Stopwatch.GetTimestamp();
        // Watch b well past the bound: it must not serve the session again once it saw it gone.
        await Task.Delay(Max(TimeSpan.FromMilliseconds(500), 2 * bound));
        stop.Cancel();
        await reader;

        Assert.NotEqual(0, firstAbsentAt);
        Assert.Equal(0, servedAfterAbsent);
        double lagMs = Stopwatch.GetElapsedTime(bumpedAt, firstAbsentAt).TotalMilliseconds;
        output.WriteLine($"bump {bumpMs:F2} ms; b stopped serving {lagMs:F2} ms after it returned ({reads} reads on b)");
        Assert.True(lagMs <= bound.TotalMilliseconds, $"b served the signed-out session for {lagMs} ms after the bump");
        Assert.Null(a.Get<SessionBag>(id));
        Assert.NotNull(b.Get<SessionBag>(unbound));
    }

    /// <summary>100 concurrent logins of one principal spread over two nodes under a cap of 3 (end oldest): exactly 3 stay.</summary>
    public static async Task AHundredConcurrentLoginsOnTwoNodesUnderACapOfThreeLeaveExactlyThree(SessionStorageConnector a, SessionStorageConnector b)
    {
        var ids = new string[100];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = SessionStorageConnector.GenerateId();
            await a.SetAsync(ids[i], new SessionBag { ["n"] = i }, TimeSpan.FromHours(1));
        }

        await Task.WhenAll(ids.Select((id, i) => Task.Run(async () => await (i % 2 == 0 ? a : b).BindPrincipalAsync(id, "capped"))));

        // Counted through node a, whose cache learns of b's deletions from invalidations that may land after b's calls
        // return (on a shared backend they are messages): wait for them. A cap that did not hold would still fail here.
        int Live() => ids.Count(id => a.Get<SessionBag>(id) is not null);
        Poll.Until(() => Live() == 3, TimeSpan.FromSeconds(5));
        Assert.Equal(3, Live());
        Assert.Equal(3, (await b.ListPrincipalSessionsAsync("capped")).Count);
    }

    /// <summary>1,000 bound sessions, one bump: every one of them reads as absent on both nodes afterwards.</summary>
    public static async Task AThousandSessionsSignedOut(SessionStorageConnector a, SessionStorageConnector b, TimeSpan bound, ITestOutputHelper output)
    {
        var ids = new string[1000];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = SessionStorageConnector.GenerateId();
            await a.SetAsync(ids[i], new SessionBag { ["n"] = i }, TimeSpan.FromHours(1));
            Assert.True(await a.BindPrincipalAsync(ids[i], "bulk"));
        }

        foreach (string id in ids) Assert.NotNull(await b.GetAsync<SessionBag>(id));
        var watch = Stopwatch.StartNew();
        await a.SignOutEverywhereAsync("bulk");
        double bumpMs = watch.Elapsed.TotalMilliseconds;
        await Task.Delay(2 * bound); // the invalidation's delivery to b, bounded by the cross-node test above
        watch.Restart();
        foreach (string id in ids) Assert.Null(await b.GetAsync<SessionBag>(id));
        output.WriteLine($"bump {bumpMs:F2} ms; 1,000 reads on the other node, each finding its session signed out: {watch.Elapsed.TotalMilliseconds:F1} ms");
    }

    private static TimeSpan Max(TimeSpan x, TimeSpan y) => x > y ? x : y;
}
