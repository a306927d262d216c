using System;
using SessionConnector.Tests.Support;

namespace SessionConnector.Tests.Faults;

/// <summary>Real mounts for file-store fault tests (root only, as in CI): a tiny tmpfs to fill, a bind mount to take away.</summary>
internal static class Mounts
{
    /// <summary>Mounts a tmpfs of <paramref name="size"/> (e.g. "256k") on <paramref name="path"/>; false when this user cannot mount.</summary>
    public static bool TryTmpfs(string path, string size) =>
        UnixTestFiles.IsRoot && Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", path);

    public static bool TryBind(string source, string target) => UnixTestFiles.IsRoot && Run("mount", "--bind", source, target);

    public static void Unmount(string path)
    {
        if (!Run("umount", path) && !Run("umount", "-l", path)) throw new InvalidOperationException($"Could not unmount '{path}'.");
    }

    private static bool Run(string program, params string[] args)
    {
        using ChildProcess p = ChildProcess.Start(program, args);
        return p.WaitForExit(TimeSpan.FromSeconds(10)).ExitCode == 0;
    }
}
