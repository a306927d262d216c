using System;
using System.IO;
using System.Linq;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Reliability;

[Collection("Soak")]
public sealed class CrashSafetyTests : IDisposable
{
    private readonly TestConnectors _env = new();
    private readonly ITestOutputHelper _output;

    public CrashSafetyTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _env.Dispose();

    [Fact]
    public void SigkillMidWriteNeverLeavesATornRecordOrTempFiles()
    {
        int kills = LongMode.Pick(20, 200);
        string dir = Path.Combine(_env.Directory, "crash");
        string[] ids = Enumerable.Range(0, 4).Select(_ => SessionStorageConnector.GenerateId()).ToArray();
        var last = new long[ids.Length];
        var rng = new Random(12345);
        int torn = 0, rejected = 0, leftoverTemps = 0, advanced = 0;

        for (int k = 0; k < kills; k++)
        {
            using ChildProcess child = ChildProcess.StartWorker("write-loop", [dir, nameof(FileDurability.ProcessCrash), .. ids]);
            Assert.Equal("ready", child.ReadLine(TimeSpan.FromMinutes(1)));
            System.Threading.Thread.Sleep(rng.Next(5, 120));
            child.Kill(); // SIGKILL: no finally blocks, no flushes

            // Reopening cleans the dead writer's temp files; every record must be a whole old or new one.
            using var c = TestWorker.Open(dir);
            var rejects = new MetricCounter(c.Meter, "sessionconnector.records.rejected");
            leftoverTemps += Directory.GetFiles(Path.Combine(dir, ".tmp")).Length;
            for (int i = 0; i < ids.Length; i++)
            {
                if (!c.TryGet<Counter>(ids[i], out Counter? value))
                {
                    if (last[i] != 0) torn++; // a record that existed vanished
                    continue;
                }

                if (value.Value < last[i] || value.Log.Single().Length != (int)(value.Value % 4096)) torn++;
                if (value.Value > last[i]) advanced++;
                last[i] = value.Value;
            }

            rejected += (int)rejects.Total;
        }

        _output.WriteLine($"{kills}/{kills} kills, {torn} torn records, {rejected} rejected, {leftoverTemps} temp files left after reopen, {advanced} records advanced");
        Assert.Equal(0, torn);
        Assert.Equal(0, rejected);
        Assert.Equal(0, leftoverTemps);
        Assert.True(advanced > 0, "the writer never got a record written between kills; the test proved nothing");
    }
}
