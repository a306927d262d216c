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
                if (parts.Length != 4 || !IsStorageKeyShape(parts[0]))
                {
                    File.Delete(file); // not a name this store gives its temp files
                    continue;
                }

                // A temp file lives only while its writer holds its key's stripe lock (WriteLocked creates it and renames or
                // removes it under that lock). So the lock taken here means no writer of the stripe is in flight, in any
                // process of any PID namespace: the file is a dead writer's, removed under the lock. A held lock may be the
                // file's own live writer (another store instance in this very process, say): the file stays, and a later
                // open removes it if it is left over. Not the PID in the name: this process's own PID is no sign of a
                // previous life while a second instance here is mid-write, and a PID from another namespace means nothing.
                using SafeFileHandle? osLock = TryLockFile(LockPath(StripeOf(parts[0])));
                if (osLock is not null) File.Delete(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Removing orphaned temp files from '{_tempDirectory}' failed: {e.Message}", e);
        }
    }
}
