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
