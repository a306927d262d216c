using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Principals;

/// <summary>Sign out everywhere across two processes on one file store: the other process keeps serving until the bump.</summary>
[Collection("Soak")]
public sealed class PrincipalProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sc-principal-proc-").FullName;
    private readonly ITestOutputHelper _output;

    public PrincipalProcessTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SessionStorageConnector Open(string dir) =>
        new(new FileSessionStorage(dir), new SessionConnectorOptions
        {
            Keys = SessionKeyRing.FromSecret(TestConnectors.Key),
            CacheMaxAge = TimeSpan.FromMinutes(5), // an unbound session would be served from this cache for minutes
        });

    [Fact]
    public void NoReadThatStartsAfterTheBumpReturnedSucceedsInTheOtherProcess()
    {
        using SessionStorageConnector app = Open(_dir);
        string id = SessionStorageConnector.GenerateId();
        app.Set(id, new Counter { Value = 1 }, TimeSpan.FromHours(1));
        Assert.True(app.BindPrincipal(id, "ada"));

        using ChildProcess reader = ChildProcess.StartWorker("principal-reader", _dir, id);
        Assert.Equal("ready", reader.ReadLine(TimeSpan.FromMinutes(1)));
        System.Threading.Thread.Sleep(200); // the other process is serving the session in a loop

        app.SignOutEverywhere("ada");
        long bumpedAt = DateTime.UtcNow.Ticks;

        string[] report = reader.ReadLine(TimeSpan.FromMinutes(1))!.Split(' ');
        reader.WaitForSuccess(TimeSpan.FromMinutes(1));
        long lastSuccessStart = long.Parse(report[0], CultureInfo.InvariantCulture);
        long firstMiss = long.Parse(report[1], CultureInfo.InvariantCulture);
        int servedAfterMiss = int.Parse(report[2], CultureInfo.InvariantCulture);
        _output.WriteLine($"{report[3]} reads in the other process; its last success started {(bumpedAt - lastSuccessStart) / 1e4:F2} ms before the bump returned; " +
            $"first miss {(firstMiss - bumpedAt) / 1e4:F2} ms after it");
        Assert.NotEqual(0, firstMiss);
        Assert.Equal(0, servedAfterMiss);
        Assert.True(lastSuccessStart <= bumpedAt, "a read that started after the bump returned found the session");
    }

    internal static int ReaderWorker(string dir, string id)
    {
        using SessionStorageConnector c = Open(dir);
        if (!c.TryGet<Counter>(id, out _)) return 3;
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        long lastSuccessStart = 0, firstMiss = 0;
        int servedAfterMiss = 0, reads = 0;
        var watch = Stopwatch.StartNew();
        TimeSpan stopAt = TimeSpan.FromSeconds(30);
        while (watch.Elapsed < stopAt)
        {
            long start = DateTime.UtcNow.Ticks;
            bool found = c.TryGet<Counter>(id, out _);
            reads++;
            if (found)
            {
                lastSuccessStart = start;
                if (firstMiss != 0) servedAfterMiss++;
            }
            else if (firstMiss == 0)
            {
                firstMiss = DateTime.UtcNow.Ticks;
                stopAt = watch.Elapsed + TimeSpan.FromMilliseconds(300);
            }
        }

        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{lastSuccessStart} {firstMiss} {servedAfterMiss} {reads}"));
        Console.Out.Flush();
        return 0;
    }
}
