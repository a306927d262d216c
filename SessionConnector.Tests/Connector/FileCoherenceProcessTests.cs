using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Connector;

/// <summary>
/// Two processes on one file store, each with a cache that would keep a copy for minutes: with the change table, the
/// other process's write, delete or sign-out everywhere is seen by this process's very next read; without it, an unbound
/// session's cached copy is served until CacheMaxAge.
/// </summary>
[Collection("Soak")]
public sealed class FileCoherenceProcessTests : IDisposable
{
    private static readonly TimeSpan Answer = TimeSpan.FromMinutes(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("sc-coherence-proc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SessionStorageConnector Open(string dir, bool table) =>
        new(new FileSessionStorage(dir, new FileSessionStorageOptions { Durability = FileDurability.ProcessCrash, UseChangeTable = table }),
            new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(TestConnectors.Key), CacheMaxAge = TimeSpan.FromMinutes(5) });

    [Fact]
    public void WithTheTableTheNextCachedReadSeesTheOtherProcessesChange()
    {
        List<string> seen = Run(table: true, out bool cachedBeforeEachChange);
        Assert.True(cachedBeforeEachChange, "a read before the other process's change was not a cache hit");
        Assert.Equal(["2", "absent", "absent"], seen);
    }

    [Fact]
    public void WithoutTheTableTheCachedCopyOfAnUnboundSessionIsServedAfterTheOtherProcessesChange()
    {
        // What the test above would see without the table: the same scenario fails its assertion on the first two steps.
        List<string> seen = Run(table: false, out _);
        Assert.Equal(["1", "1", "absent"], seen);
    }

    /// <summary>
    /// This process caches a session; the other one writes it, deletes it, then signs its principal out everywhere after
    /// this process cached a bound session. Returns what this process's next read saw after each step.
    /// </summary>
    private List<string> Run(bool table, out bool cachedBeforeEachChange)
    {
        using SessionStorageConnector app = Open(_dir, table);
        var hits = new MetricCounter(app.Meter, "sessionconnector.cache.hits");
        using ChildProcess other = ChildProcess.StartWorker("coherence", _dir, table ? "table" : "none");
        Assert.Equal("ready", other.ReadLine(Answer));
        var seen = new List<string>();
        bool cached = true;

        string Read(string id) => app.Get<Counter>(id)?.Value.ToString(CultureInfo.InvariantCulture) ?? "absent";

        void CachedRead(string id, string expected)
        {
            long before = hits.Total;
            Assert.Equal(expected, Read(id));
            cached &= hits.Total == before + 1;
        }

        string plain = SessionStorageConnector.GenerateId();
        app.Set(plain, new Counter { Value = 1 });
        Assert.Equal("1", Read(plain));
        CachedRead(plain, "1");
        Assert.Equal("ok", other.Ask($"set {plain} 2", Answer));
        seen.Add(Read(plain));

        CachedRead(plain, seen[0]);
        Assert.Equal("ok", other.Ask($"delete {plain}", Answer));
        seen.Add(Read(plain));

        string bound = SessionStorageConnector.GenerateId();
        app.Set(bound, new Counter { Value = 3 });
        Assert.True(app.BindPrincipal(bound, "ada"));
        // BindPrincipal leaves a deletion marker in this process's cache, which outranks the bound record until the next write.
        Assert.True(app.Update<Counter>(bound, x => x.Value = 3));
        Assert.Equal("3", Read(bound));
        if (table) CachedRead(bound, "3");
        Assert.Equal("ok", other.Ask("signout ada", Answer));
        seen.Add(Read(bound));

        other.CloseInput();
        other.WaitForSuccess(Answer);
        cachedBeforeEachChange = cached;
        return seen;
    }

    /// <summary>worker coherence &lt;dir&gt; &lt;table|none&gt;: applies "set id n", "delete id" and "signout principal" from stdin, answering "ok".</summary>
    internal static int Worker(string dir, bool table)
    {
        using SessionStorageConnector c = Open(dir, table);
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        while (Console.In.ReadLine() is { } line)
        {
            string[] words = line.Split(' ');
            switch (words[0])
            {
                case "set":
                    c.Set(words[1], new Counter { Value = long.Parse(words[2], CultureInfo.InvariantCulture) });
                    break;
                case "delete":
                    c.Delete(words[1]);
                    break;
                case "signout":
                    c.SignOutEverywhere(words[1]);
                    break;
                default:
                    return 3;
            }

            Console.Out.WriteLine("ok");
            Console.Out.Flush();
        }

        return 0;
    }
}
