using System;
using System.IO;
using SessionConnector.Cli.Tests.Infrastructure;
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
    [InlineData(2, "needs a session ID", "delete", "--file", "DIR")]
    [InlineData(2, "is not a valid session ID", "delete", "../etc/passwd", "--file", "DIR")]
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
    public void UnreachableRedisIsAStoreFailure()
    {
        CliResult r = Sessionctl.Run(null, "stats", "--redis", "127.0.0.1:1,connectTimeout=500", "--prefix", "sc:x:");
        Assert.True(r.ExitCode == 5, r.ToString());
        Assert.Contains("store failure", r.StdErr);
    }
}
