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

// Fault classification: file-system failures become SessionStorageException naming the path and the cause.
public sealed partial class FileSessionStorage
{
    /// <summary>unlink(2): removes the entry itself, never what a symbolic link points to.</summary>
    private static void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Unlinks the record of <paramref name="key"/> (under its stripe's locks), moving its change-table slot around the unlink.</summary>
    private void DeleteRecordFile(string key, string path)
    {
        int slot = ChangeTable.SlotOf(key);
        _changes?.BeginChange(slot);
        try
        {
            DeleteFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Deleting the session record '{path}' failed: {e.Message}", e);
        }
        finally
        {
            _changes?.EndChange(slot);
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            DeleteFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort while reporting another failure; the next open removes the orphan.
        }
    }

    private void FlushDirectoryIfDurable(string what)
    {
        if (!_durable) return;
        try
        {
            _ops.FlushDirectory(_directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"The session store '{_directory}' was {what}, but flushing the directory failed: {e.Message}; the change may not survive power loss.", e);
        }
    }
}
