using System;
using System.IO;
using SessionConnector.Cli.Tests.Support;
using Xunit;

namespace SessionConnector.Cli.Tests;

/// <summary>Help, usage errors and exit codes of the real binary.</summary>
[Collection(ProcessTests.Name)]
public sealed class CommandLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sc-cli-args-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("stats")]
    [InlineData("purge")]
    [InlineData("rotate")]
    [InlineData("verify")]
    [InlineData("inspect")]
    [InlineData("delete")]
    public void EveryVerbHasHelp(string verb)
    {
        CliResult r = Sessionctl.Run(null, verb, "--help");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("usage: sessionctl " + verb, r.StdOut);
        Assert.Contains("exit codes:", r.StdOut);
        Assert.Contains("--file DIR", r.StdOut);
        Assert.Equal("", r.StdErr);
    }

    [Fact]
    public void GeneralHelpListsTheVerbsAndNoArgumentsIsAUsageError()
    {
        CliResult help = Sessionctl.Run(null, "--help");
        Assert.Equal(0, help.ExitCode);
        foreach (string verb in new[] { "stats", "purge", "rotate", "verify", "inspect", "delete" }) Assert.Contains("  " + verb, help.StdOut);

        CliResult none = Sessionctl.Run(null);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("usage:", none.StdErr);
        Assert.Equal("", none.StdOut);
    }

    [Theory]
    [InlineData(2, "unknown verb 'frobnicate'", "frobnicate")]
    [InlineData(2, "unknown option '--evict' for 'stats'", "stats", "--evict", "--file", "DIR")]
    [InlineData(2, "exactly one of --file DIR and --redis", "stats")]
    [InlineData(2, "--redis needs --prefix", "stats", "--redis", "127.0.0.1:1")]
    [InlineData(2, "option '--batch' needs a whole number from 1 to 10000", "purge", "--batch", "0", "--file", "DIR")]
    [InlineData(2, "needs a session ID on standard input", "delete", "--file", "DIR")]
    [InlineData(2, "no longer taken on the command line", "delete", "../etc/passwd", "--file", "DIR")]
    [InlineData(2, "--ids-file applies to delete by ID only", "delete", "--key-id", "1", "--ids-file", "x", "--file", "DIR")]
    [InlineData(2, "give the Redis configuration once", "stats", "--redis", "127.0.0.1:1", "--redis-file", "x", "--prefix", "p:")]
    [InlineData(4, "needs the applications' keys", "rotate", "--file", "DIR")]
    [InlineData(5, "no session store directory", "purge", "--file", "/nonexistent/sessions")]
    public void BadInvocationsFailWithTheDocumentedCodeOnStderr(int code, string message, params string[] args)
    {
        for (int i = 0; i < args.Length; i++) if (args[i] == "DIR") args[i] = _dir;
        CliResult r = Sessionctl.Run(null, args);
        Assert.True(r.ExitCode == code, r.ToString());
        Assert.Contains(message, r.StdErr);
        Assert.Equal("", r.StdOut);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void KeysFileMustBePrivateAndWellFormed()
    {
        string keys = Path.Combine(_dir, "keys");
        File.WriteAllText(keys, TestKeys.Old);
        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        CliResult open = Sessionctl.Run(null, "rotate", "--keys-file", keys, "--file", _dir);
        Assert.Equal(4, open.ExitCode);
        Assert.Contains("chmod 600", open.StdErr);

        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        CliResult ok = Sessionctl.Run(null, "rotate", "--keys-file", keys, "--file", _dir);
        Assert.True(ok.ExitCode == 0, ok.ToString());

        File.WriteAllText(keys, "1:not base64!");
        CliResult bad = Sessionctl.Run(null, "rotate", "--keys-file", keys, "--file", _dir);
        Assert.Equal(4, bad.ExitCode);
        Assert.Contains("not valid base64", bad.StdErr);
        Assert.DoesNotContain("not base64!", bad.StdErr); // never echo key material
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void KeysFileIsRefusedWhenItIsASymbolicLinkOrAnotherUsers()
    {
        string target = Path.Combine(_dir, "real-keys");
        File.WriteAllText(target, TestKeys.Old);
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string link = Path.Combine(_dir, "keys-link");
        File.CreateSymbolicLink(link, target);

        // The mode a path check sees is the target's (600); the open refuses the link itself.
        CliResult linked = Sessionctl.Run(null, "rotate", "--keys-file", link, "--file", _dir);
        Assert.True(linked.ExitCode == 4, linked.ToString());
        Assert.Contains("symbolic link", linked.StdErr);

        CliResult direct = Sessionctl.Run(null, "rotate", "--keys-file", target, "--file", _dir);
        Assert.True(direct.ExitCode == 0, direct.ToString());

        if (!Environment.IsPrivilegedProcess) return; // only root can give a file away
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        ChildProcess chown = ChildProcess.Start("chown", ["12345", target]);
        Assert.Equal(0, chown.WaitForExit().ExitCode);
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        CliResult foreign = Sessionctl.Run(null, "rotate", "--keys-file", target, "--file", _dir);
        Assert.True(foreign.ExitCode == 4, foreign.ToString());
        Assert.Contains("belongs to user id 12345", foreign.StdErr);
    }

    [Fact]
    public void SessionIdOnTheCommandLineIsRefusedAndTheErrorNamesTheReplacement()
    {
        string id = SessionStorageConnector.GenerateId();
        foreach (string[] args in new[] { ["delete", id, "--file", _dir], new[] { "inspect", id, "--show-secrets", "--file", _dir } })
        {
            CliResult r = Sessionctl.Run(TestKeys.Old, args);
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.Contains("standard input", r.StdErr);
            Assert.Contains("--ids-file PATH", r.StdErr);
            Assert.DoesNotContain(id, r.StdErr);
            Assert.Equal("", r.StdOut);
        }
    }

    [Fact]
    public void InvalidIdsOnStandardInputAreRefusedBeforeAnythingIsDeletedAndNotEchoed()
    {
        string good = SessionStorageConnector.GenerateId();
        CliResult r = Sessionctl.RunWithInput(TestKeys.Old, good + "\n../etc/passwd\n", "delete", "--file", _dir);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("line 2 of standard input is not a valid session ID", r.StdErr);
        Assert.DoesNotContain("passwd", r.StdErr);

        CliResult two = Sessionctl.RunWithInput(TestKeys.Old, good + "\n" + SessionStorageConnector.GenerateId() + "\n", "inspect", "--show-secrets", "--file", _dir);
        Assert.True(two.ExitCode == 2, two.ToString());
        Assert.Contains("inspect shows one session", two.StdErr);
    }

    [Theory]
    [InlineData("127.0.0.1:1,password=hunter2")]
    [InlineData("127.0.0.1:1, Password = hunter2 ,connectTimeout=500")]
    [InlineData("redis://user:hunter2@127.0.0.1:1")]
    public void RedisPasswordOnTheCommandLineIsRefusedAndTheErrorNamesTheReplacement(string configuration)
    {
        CliResult r = Sessionctl.Run(null, "stats", "--redis", configuration, "--prefix", "sc:x:");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("SESSIONCTL_REDIS", r.StdErr);
        Assert.Contains("--redis-file PATH", r.StdErr);
        Assert.DoesNotContain("hunter2", r.StdErr);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void RedisConfigurationFileMustBePrivateAndIsUsedWhenItIs()
    {
        string file = Path.Combine(_dir, "redis.conf");
        File.WriteAllText(file, "127.0.0.1:1,connectTimeout=500,password=hunter2\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        CliResult open = Sessionctl.Run(null, "stats", "--redis-file", file, "--prefix", "sc:x:");
        Assert.True(open.ExitCode == 2, open.ToString());
        Assert.Contains("chmod 600", open.StdErr);

        // Private: read and used (a store failure shows it tried to connect); the password never reaches the output.
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        CliResult used = Sessionctl.Run(null, "stats", "--redis-file", file, "--prefix", "sc:x:");
        Assert.True(used.ExitCode == 5, used.ToString());
        Assert.Contains("store failure", used.StdErr);
        Assert.DoesNotContain("hunter2", used.StdErr + used.StdOut);
    }

    [Fact]
    public void RedisConfigurationFromTheEnvironmentIsUsedWithPrefix()
    {
        var environment = Sessionctl.Keys(null);
        environment["SESSIONCTL_REDIS"] = "127.0.0.1:1,connectTimeout=500,password=hunter2";
        CliResult used = Sessionctl.RunWithEnvironment(environment, "", "stats", "--prefix", "sc:x:");
        Assert.True(used.ExitCode == 5, used.ToString());
        Assert.Contains("store failure", used.StdErr);
        Assert.DoesNotContain("hunter2", used.StdErr + used.StdOut);

        // --file names the store: the variable is a default for Redis, not a second store.
        CliResult file = Sessionctl.RunWithEnvironment(environment, "", "stats", "--json", "--file", _dir);
        Assert.True(file.ExitCode == 0, file.ToString());
    }

    [Fact]
    public void UnreachableRedisIsAStoreFailure()
    {
        CliResult r = Sessionctl.Run(null, "stats", "--redis", "127.0.0.1:1,connectTimeout=500", "--prefix", "sc:x:");
        Assert.True(r.ExitCode == 5, r.ToString());
        Assert.Contains("store failure", r.StdErr);
    }
}
