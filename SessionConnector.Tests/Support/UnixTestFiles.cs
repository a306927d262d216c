using System;
using System.IO;
using Xunit;

namespace SessionConnector.Tests.Support;

/// <summary>Makes real "owned by someone else" situations for permission tests, as root or not.</summary>
internal static class UnixTestFiles
{
    /// <summary>The uid of "nobody" on Debian and most Linux systems.</summary>
    public const uint Nobody = 65534;

    public static bool IsRoot => Environment.UserName == "root" || RunId("-u") == "0";

    /// <summary>
    /// A directory owned by another user: as root, a fresh one under <paramref name="scratch"/> given to nobody; otherwise
    /// a root-owned system directory (the test user cannot own it, and nothing can be created in it).
    /// </summary>
    public static string ForeignDirectory(string scratch)
    {
        if (!IsRoot) return "/usr/share";
        string dir = Path.Combine(scratch, "foreign-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        ChownToNobody(dir);
        return dir;
    }

    public static void ChownToNobody(string path)
    {
        using ChildProcess chown = ChildProcess.Start("chown", ["-h", Nobody.ToString(), path]);
        ChildResult result = chown.WaitForExit();
        Assert.True(result.ExitCode == 0, "chown failed: " + result.StdErr);
    }

    private static string RunId(string flag)
    {
        using ChildProcess id = ChildProcess.Start("id", [flag]);
        return id.WaitForExit().StdOut.Trim();
    }
}
