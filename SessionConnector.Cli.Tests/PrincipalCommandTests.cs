using System;
using System.IO;
using SessionConnector.Cli.Tests.Support;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.Cli.Tests;

/// <summary>sessionctl signout --principal and list --principal on a real file store, against sessions an application bound.</summary>
[Collection(ProcessTests.Name)]
public sealed class PrincipalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sc-cli-principal-").FullName;

    private string[] Store => ["--file", _dir];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private SessionStorageConnector App() =>
        new(new FileSessionStorage(_dir), new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Old) });

    [Fact]
    public void ListShowsThePrincipalsSessionsAndSignoutEndsThemAllButNotOthers()
    {
        string[] ada = new string[3];
        string bob = SessionStorageConnector.GenerateId();
        using (SessionStorageConnector app = App())
        {
            for (int i = 0; i < ada.Length; i++)
            {
                ada[i] = SessionStorageConnector.GenerateId();
                app.Set(ada[i], new SessionBag { ["n"] = i }, TimeSpan.FromHours(1));
                Assert.True(app.BindPrincipal(ada[i], "ada@example.com", $"device \"{i}\""));
            }

            app.Set(bob, new SessionBag(), TimeSpan.FromHours(1));
            app.BindPrincipal(bob, "bob@example.com");
        }

        CliResult stats = Sessionctl.Run(TestKeys.Old, ["stats", "--json", .. Store]);
        Assert.True(stats.ExitCode == 0, stats.ToString());
        Assert.Equal(2, stats.Json.GetProperty("principals").GetInt64());
        Assert.Equal(4, stats.Json.GetProperty("boundSessions").GetInt64());
        Assert.Equal(0, stats.Json.GetProperty("undecryptable").GetProperty("total").GetInt64());

        CliResult list = Sessionctl.RunWithInput(TestKeys.Old, "ada@example.com\n", ["list", "--principal", "--json", .. Store]);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(3, list.Json.GetProperty("sessions").GetArrayLength());
        Assert.Contains(list.Json.GetProperty("sessions").EnumerateArray(), e => e.GetProperty("label").GetString() == "device \"1\"");
        foreach (string id in ada) Assert.DoesNotContain(id, list.StdOut);

        string file = Path.Combine(_dir, "..", Path.GetFileName(_dir) + ".principal");
        File.WriteAllText(file, "ada@example.com\n");
        CliResult signout = Sessionctl.Run(TestKeys.Old, ["signout", "--principal", "--principal-file", file, "--json", .. Store]);
        File.Delete(file);
        Assert.True(signout.ExitCode == 0, signout.ToString());
        Assert.Equal(3, signout.Json.GetProperty("listedSessions").GetInt32());

        using SessionStorageConnector after = App();
        foreach (string id in ada) Assert.Null(after.Get<SessionBag>(id));
        Assert.NotNull(after.Get<SessionBag>(bob));
        Assert.Empty(after.ListPrincipalSessions("ada@example.com"));
    }

    [Fact]
    public void APrincipalIdOnTheCommandLineIsRefusedAndNotEchoed()
    {
        CliResult r = Sessionctl.Run(TestKeys.Old, ["signout", "--principal", "secret-user", .. Store]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("standard input", r.StdErr);
        Assert.DoesNotContain("secret-user", r.StdErr + r.StdOut);

        CliResult missingFlag = Sessionctl.RunWithInput(TestKeys.Old, "ada\n", ["list", .. Store]);
        Assert.Equal(2, missingFlag.ExitCode);
        Assert.Contains("--principal", missingFlag.StdErr);
    }
}
