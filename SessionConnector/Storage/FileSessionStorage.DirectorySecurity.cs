using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using SessionConnector.Internal;
using SessionConnector.Storage.Files;

namespace SessionConnector.Storage;

// Directory security and orphan cleanup: private (0700) folders and temp files left by dead processes.
public sealed partial class FileSessionStorage
{
    private static void EnsurePrivateDirectory(string path)
    {
        string? problem;
        try
        {
            problem = UnixFiles.EnsurePrivateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new SessionStorageException($"The session store directory '{path}' cannot be created or opened: {e.Message}", e);
        }

        if (problem is not null)
        {
            throw new SessionStorageException($"Refusing the session store directory '{path}': it {problem}. A store must be a real directory owned by the user running the app.");
        }
    }

    /// <summary>
    /// The store's change table (see <see cref="ChangeTable"/>), in <c>.locks</c> with the other files processes coordinate
    /// through (checked private above, and never listed as a record); null when it cannot be used, and the store then works
    /// as it does without one.
    /// </summary>
    private ChangeTable? OpenChangeTable() => ChangeTable.TryOpen(Path.Combine(_lockDirectory, ChangeTable.FileName));

    private void RemoveOrphanedTempFiles()
    {
        // Only .tmp/ is scanned: its size is the number of writes in flight, not the number of sessions,
        // so opening a store stays cheap however many sessions it holds. .tmp was checked to be our own directory
        // (not a link elsewhere), and unlink never follows a link, so nothing outside the store is touched.
        try
        {
            foreach (string file in Directory.EnumerateFiles(_tempDirectory, "*.tmp"))
            {
                string[] parts = Path.GetFileName(file).Split('.');
                bool orphan = parts.Length != 4 || !int.TryParse(parts[1], out int pid) || !IsProcessAlive(pid);
                if (orphan) File.Delete(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Removing orphaned temp files from '{_tempDirectory}' failed: {e.Message}", e);
        }
    }

    private static bool IsProcessAlive(int pid)
    {
        if (pid == Environment.ProcessId) return false; // our own leftovers are from a previous life of this PID
        if (OperatingSystem.IsLinux()) return Directory.Exists("/proc/" + pid);
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
