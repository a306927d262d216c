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

    /// <summary>
    /// Creates <paramref name="path"/> (must not exist), writes <paramref name="header"/> and <paramref name="data"/>, then
    /// zeros up to <paramref name="length"/> bytes, and fsyncs it when durable.
    /// </summary>
    /// <remarks>
    /// The zeros are written, not left as a hole (<c>SetLength</c>): a later in-place write into a hole would allocate a
    /// block, and flushing that allocation needs the file system's journal, which in-place writes exist to avoid.
    /// </remarks>
    public virtual void WriteNew(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, int length, bool durable)
    {
        // CreateNew is O_CREAT|O_EXCL: it never follows a symbolic link. 0600 from the start, not chmod-ed later.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
        if (UnixFiles.IsUnix) options.UnixCreateMode = UnixFiles.PrivateFileMode;
        using var stream = new FileStream(path, options);
        stream.Write(header);
        stream.Write(data);
        for (long left = length - stream.Position; left > 0; left -= Zeros.Length)
        {
            stream.Write(Zeros, 0, (int)Math.Min(left, Zeros.Length));
        }

        if (durable) Flush(stream);
    }

    private static readonly byte[] Zeros = new byte[4096];

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> of an open file (pwrite(2)), not flushed.</summary>
    public virtual void WriteAt(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(handle, data, offset);

    /// <summary>
    /// Forces an open file's data to stable storage with <c>fdatasync</c>, which skips metadata that reading the data does
    /// not need (the times), so an overwrite that keeps the file's size commits no journal. Linux only (its one caller,
    /// the in-place update, runs only there).
    /// </summary>
    public virtual void FlushData(SafeFileHandle handle)
    {
        if (LibC.FDataSync((int)handle.DangerousGetHandle()) != 0)
        {
            throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()}).");
        }
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
