using System;
using System.Linq;
using System.Text.Json;
using SessionConnector.Cli.Tests.Support;
using SessionConnector.Redis;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Cli.Tests;

/// <summary>sessionctl on a real redis-server, written by real application processes.</summary>
[Collection(RedisTests.Name)]
public sealed class RedisStoreTests(RedisServer redis, ITestOutputHelper output)
{
    private readonly string _prefix = "sc:" + Guid.NewGuid().ToString("N")[..8] + ":";

    private string Writer => $"redis:{redis.Endpoint}|{_prefix}";

    private string[] Store => ["--redis", redis.Endpoint, "--prefix", _prefix];

    [Fact]
    public void RotateWhileTwoProcessesUpdateLosesNoUpdateAndLeavesNothingUnderTheOldKey() =>
        RotationScenario.Run(output, Writer, Store, () => RedisSessionStorage.Connect(redis.Endpoint, _prefix), sessions: 1000, hot: 500);

    [Fact]
    public void StatsAndDeleteByKeyIdTouchOnlyThisPrefix()
    {
        Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "7", "600");
        // Another application under a longer prefix, and a stray key of ours that is no record.
        redis.Db.HashSet(_prefix + "admin:" + new string('A', 43), "v", "1");
        redis.Db.StringSet(_prefix + "admin:counter", "5");

        CliResult stats = Sessionctl.Run(TestKeys.Old, ["stats", "--json", .. Store]);
        Assert.True(stats.ExitCode == 0, stats.ToString());
        Assert.Equal(7, stats.Json.GetProperty("records").GetInt64());
        Assert.Equal(7, stats.Json.GetProperty("expiryHistogram").GetProperty("≤1h").GetInt64());
        Assert.Equal(0, stats.Json.GetProperty("undecryptable").GetProperty("total").GetInt64());

        CliResult revoke = Sessionctl.Run(null, ["delete", "--key-id", "1", "--json", .. Store]);
        Assert.Equal(7, revoke.Json.GetProperty("changed").GetInt64());
        Assert.True(redis.Db.KeyExists(_prefix + "admin:" + new string('A', 43)));
        Assert.True(redis.Db.KeyExists(_prefix + "admin:counter"));
        Assert.Equal(0, Sessionctl.Run(null, ["stats", "--json", .. Store]).Json.GetProperty("records").GetInt64());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void RedisConfigurationComesFromTheEnvironmentOrAPrivateFile()
    {
        Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "3", "600");
        var environment = Sessionctl.Keys(null);
        environment["SESSIONCTL_REDIS"] = redis.Endpoint;
        CliResult fromEnvironment = Sessionctl.RunWithEnvironment(environment, "", "stats", "--json", "--prefix", _prefix);
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());
        Assert.Equal(3, fromEnvironment.Json.GetProperty("records").GetInt64());

        string file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sc-cli-redis-" + Guid.NewGuid().ToString("N"));
        try
        {
            System.IO.File.WriteAllText(file, redis.Endpoint + "\n");
            System.IO.File.SetUnixFileMode(file, System.IO.UnixFileMode.UserRead | System.IO.UnixFileMode.UserWrite);
            CliResult fromFile = Sessionctl.Run(null, "stats", "--json", "--redis-file", file, "--prefix", _prefix);
            Assert.True(fromFile.ExitCode == 0, fromFile.ToString());
            Assert.Equal(3, fromFile.Json.GetProperty("records").GetInt64());
        }
        finally
        {
            System.IO.File.Delete(file);
        }
    }

    [Fact]
    public void VerifyFindsAlteredRecordsAndInspectDecryptsOne()
    {
        string[] ids = Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "5", "0");
        var server = redis.Server;
        var key = server.Keys(pattern: _prefix + "*").First();
        byte[] envelope = (byte[])redis.Db.HashGet(key, "d")!;
        envelope[^1] ^= 0x80;
        redis.Db.HashSet(key, "d", envelope);

        CliResult verify = Sessionctl.Run(TestKeys.Old, ["verify", "--json", .. Store]);
        Assert.True(verify.ExitCode == 1, verify.ToString());
        Assert.Equal(1, verify.Json.GetProperty("failures").GetProperty("authentication").GetInt64());
        CliResult evict = Sessionctl.Run(TestKeys.Old, ["verify", "--evict", "--json", .. Store]);
        Assert.True(evict.ExitCode == 0, evict.ToString());
        Assert.False(redis.Db.KeyExists(key));

        string good = ids.First(id => Sessionctl.RunWithInput(TestKeys.Old, id, ["inspect", "--show-secrets", .. Store]).ExitCode == 0);
        JsonElement json = Sessionctl.RunWithInput(TestKeys.Old, good, ["inspect", "--show-secrets", .. Store]).Json;
        Assert.StartsWith("user-", json.GetProperty("data").GetProperty("user").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("storedExpiresAt").ValueKind);
    }
}
