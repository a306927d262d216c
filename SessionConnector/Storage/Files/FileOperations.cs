using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SessionConnector.Storage.Files;

/// <summary>
/// The file-system calls the file storage makes when it writes. A seam: tests substitute a subclass that
/// fails like a full disk, a failing flush or a failing rename, to prove the previous record survives.
/// </summary>
internal class FileOperations
{
    public static readonly FileOperations Default = new();

    /// <summary>Creates <paramref name="path"/> (must not exist), writes <paramref name="data"/>, and fsyncs it when durable.</summary>
    public virtual void WriteNew(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, bool durable)
    {
        // CreateNew is O_CREAT|O_EXCL: it never follows a symbolic link. 0600 from the start, not chmod-ed later.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
        if (UnixFiles.IsUnix) options.UnixCreateMode = UnixFiles.PrivateFileMode;
        using var stream = new FileStream(path, options);
        stream.Write(header);
        stream.Write(data);
        if (durable) Flush(stream);
    }

    /// <summary>
    /// Opens a file written earlier by <see cref="WriteNew"/> (not durable) and closed, for a group commit to flush it
    /// through <see cref="StartWriteback"/> and <see cref="Flush"/>.
    /// </summary>
    public virtual FileStream OpenWritten(string path)
    {
        // Opened for writing (the BCL skips the fsync of a read-only FileStream), never truncated, never created: the temp
        // file is ours, in the store's private .tmp.
        var options = new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Write, Share = FileShare.ReadWrite, BufferSize = 0 };
        return new FileStream(path, options);
    }

    /// <summary>
    /// Starts writing the file's dirty pages to the device without waiting (Linux <c>sync_file_range</c>). A hint only:
    /// started for every record of a batch before the first fsync, the pages of all of them are written (and their blocks
    /// allocated) in the one journal commit that first fsync forces, so the fsyncs after it find little left to do. The
    /// fsync of each file still follows, so durability never rests on this call; its errors are left to that fsync.
    /// </summary>
    public virtual void StartWriteback(FileStream stream)
    {
        if (!OperatingSystem.IsLinux()) return;
        const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE: start write-out of dirty pages, do not wait
        _ = LibC.SyncFileRange((int)stream.SafeFileHandle.DangerousGetHandle(), 0, 0, SyncFileRangeWrite);
    }

    /// <summary>Forces the file's data and metadata to stable storage (fsync).</summary>
    public virtual void Flush(FileStream stream) => stream.Flush(flushToDisk: true);

    /// <summary>Atomically replaces <paramref name="destination"/> with <paramref name="source"/> (rename(2)).</summary>
    public virtual void Rename(string source, string destination) => System.IO.File.Move(source, destination, overwrite: true);

    /// <summary>Fsyncs a directory so a rename in it survives power loss. A no-op where the OS cannot do it.</summary>
    public virtual void FlushDirectory(string directory)
    {
        if (!UnixFiles.IsUnix) return;
        // The BCL opens no directories (File.OpenHandle refuses them), so this one fsync is a libc call.
        using SafeFileHandle handle = UnixFiles.OpenDirectory(directory);
        if (LibC.FSync((int)handle.DangerousGetHandle()) != 0)
        {
            throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }
}
