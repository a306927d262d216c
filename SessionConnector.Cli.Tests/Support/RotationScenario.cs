using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using SessionConnector.Storage;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Cli.Tests.Support;

/// <summary>
/// The rotation acceptance scenario, for any store: sessions sealed under key 1; two application processes that already
/// hold key 2 as primary keep incrementing counters; sessionctl rotate runs meanwhile. Afterwards no update is lost and
/// no record is left under key 1.
/// </summary>
public static class RotationScenario
{
    public static void Run(ITestOutputHelper output, string writerStore, string[] cliStore, Func<SessionStorage> openStorage, int sessions, int hot)
    {
        string work = Directory.CreateTempSubdirectory("sc-rotate-").FullName;
        try
        {
            string[] ids = Sessionctl.RunWriter(TestKeys.Old, "populate", writerStore, sessions.ToString(), "0");
            Assert.Equal(sessions, ids.Length);
            string hotFile = Path.Combine(work, "hot.txt"), stopFile = Path.Combine(work, "stop");
            File.WriteAllLines(hotFile, ids.Take(hot));

            CliResult before = Sessionctl.Run(TestKeys.Rotated, ["stats", "--json", .. cliStore]);
            Assert.True(before.ExitCode == 0, before.ToString());
            Assert.Equal(sessions, before.Json.GetProperty("recordsByKeyId").GetProperty("1").GetInt64());

            ChildProcess[] writers = [Sessionctl.StartWriter(TestKeys.Rotated, "update", writerStore, hotFile, stopFile), Sessionctl.StartWriter(TestKeys.Rotated, "update", writerStore, hotFile, stopFile)];
            Thread.Sleep(700); // the writers are starting and begin re-sealing hot sessions themselves
            // Small batches and little parallelism: the rotation runs long enough to race the writers on hot sessions.
            CliResult rotate = Sessionctl.Run(TestKeys.Rotated, ["rotate", "--json", "--parallel", "2", "--batch", "16", .. cliStore]);
            Thread.Sleep(500);
            File.WriteAllText(stopFile, "");
            CliResult[] done = writers.Select(Sessionctl.Wait).ToArray();
            output.WriteLine(rotate.StdOut);

            Assert.True(rotate.ExitCode == 0, rotate.ToString());
            JsonElement r = rotate.Json;
            Assert.Equal(0, r.GetProperty("failures").GetProperty("total").GetInt64());
            Assert.True(r.GetProperty("changed").GetInt64() >= sessions - hot, rotate.StdOut);
            // Every record is accounted for: re-sealed, already re-sealed by a writer, or lost to a writer's concurrent write.
            Assert.Equal(sessions, r.GetProperty("scanned").GetInt64());

            // Every successful increment of both writers is in the store: none was overwritten by the rotation.
            var expected = new Dictionary<string, long>();
            foreach (CliResult w in done)
            {
                Assert.True(w.ExitCode == 0, w.ToString());
                foreach (string line in w.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    string[] p = line.Split(' ');
                    if (p[0] == "absent")
                    {
                        Assert.Equal("0", p[1]); // no writer ever lost sight of a session
                        continue;
                    }

                    expected[p[0]] = expected.GetValueOrDefault(p[0]) + long.Parse(p[1]);
                }
            }

            long total = expected.Values.Sum();
            output.WriteLine($"{total} increments by two writers during the rotation; {r.GetProperty("conflicts").GetInt64()} rotation conflicts");
            Assert.True(total > 100, $"the writers made only {total} updates: the race was not exercised");
            using (var connector = new SessionStorageConnector(openStorage(), new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Retired), CacheCapacity = 0 }))
            {
                // Read with key 1 revoked: every session must open under key 2 alone.
                foreach (string id in ids)
                {
                    SessionBag? bag = connector.Get<SessionBag>(id);
                    Assert.True(bag is not null, $"session {id} does not open without the old key");
                    Assert.Equal(expected.GetValueOrDefault(id), (long)bag!["n"]!);
                }
            }

            CliResult after = Sessionctl.Run(TestKeys.Retired, ["stats", "--json", .. cliStore]);
            Assert.True(after.ExitCode == 0, after.ToString());
            JsonElement byKey = after.Json.GetProperty("recordsByKeyId");
            Assert.False(byKey.TryGetProperty("1", out _), after.StdOut);
            Assert.Equal(sessions, byKey.GetProperty("2").GetInt64());
            Assert.Equal(0, after.Json.GetProperty("undecryptable").GetProperty("total").GetInt64());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
