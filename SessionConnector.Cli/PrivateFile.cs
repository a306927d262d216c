using System;
using System.IO;
using System.Text;
using Microsoft.Win32.SafeHandles;
using SessionConnector.Storage.Files;

namespace SessionConnector.Cli;

/// <summary>
/// Reads a secret file (the key list, the Redis configuration) the way the connector opens its development key: one open
/// that refuses a symbolic link (<c>O_NOFOLLOW</c>), then the owner, kind and mode of the open descriptor, so the checks
/// see the very file that is read, not whatever the path names a moment later.
/// </summary>
internal static class PrivateFile
{
    // Far above a key list or a configuration string; a larger file is a mistake, not something to load.
    private const int MaxLength = 64 * 1024;

    /// <summary>The file's text.</summary>
    /// <param name="path">The path the operator gave.</param>
    /// <param name="what">What the file is, for messages ("keys file").</param>
    /// <param name="exitCode">The exit code of every refusal.</param>
    /// <exception cref="UsageException">Missing, a symbolic link, not a regular file, another user's, readable or writable by others, too large, or unreadable.</exception>
    public static string ReadText(string path, string what, int exitCode)
    {
        try
        {
            using SafeFileHandle handle = Open(path, what, exitCode)
                ?? throw new UsageException($"no {what} '{path}'.", exitCode);
            if (UnixFiles.IsUnix)
            {
                EntryStatus status = UnixFiles.GetStatus(handle);
                if (status.Kind != EntryKind.Regular) throw Refused(path, what, "is not a regular file", exitCode);
                uint me = UnixFiles.CurrentUserId;
                if (status.OwnerId != UnixFiles.UnknownOwner && status.OwnerId != me)
                {
                    throw Refused(path, what, $"belongs to user id {status.OwnerId}, not to you (id {me}); copy it to a file of your own, mode 600", exitCode);
                }

                if ((status.Mode & UnixFiles.GroupOrOther) != 0)
                {
                    throw Refused(path, what, $"is readable or writable by other users (mode {Convert.ToString((int)status.Mode, 8)}); chmod 600 it", exitCode);
                }
            }

            long length = RandomAccess.GetLength(handle);
            if (length > MaxLength) throw Refused(path, what, $"is {length} bytes, more than {MaxLength}", exitCode);
            byte[] bytes = new byte[length];
            int read = 0;
            while (read < bytes.Length)
            {
                int n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
                if (n == 0) break;
                read += n;
            }

            return Encoding.UTF8.GetString(bytes, 0, read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {what} '{path}': {e.Message}", exitCode);
        }
    }

    private static SafeFileHandle? Open(string path, string what, int exitCode)
    {
        if (!UnixFiles.IsUnix) return File.Exists(path) ? File.OpenHandle(path) : null;
        try
        {
            return UnixFiles.OpenNoFollow(path, write: false, create: false);
        }
        catch (IOException) when (UnixFiles.TryGetStatus(path, out EntryStatus status) && status.Kind == EntryKind.SymbolicLink)
        {
            // The open already refused it (ELOOP); the path is looked at again only to say why.
            throw Refused(path, what, "is a symbolic link; give the file itself", exitCode);
        }
    }

    private static UsageException Refused(string path, string what, string problem, int exitCode) =>
        new($"refusing {what} '{path}': it {problem}.", exitCode);
}
