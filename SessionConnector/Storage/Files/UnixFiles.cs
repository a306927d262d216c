using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SessionConnector.Storage.Files;

/// <summary>The kind of a file-system entry, as <c>lstat</c> sees it (a symbolic link is never followed).</summary>
internal enum EntryKind
{
    Other,
    Regular,
    Directory,
    SymbolicLink,
}

/// <summary>
/// An entry's owner (<see cref="UnixFiles.UnknownOwner"/> where the OS call is not available), permission bits and kind.
/// </summary>
internal readonly record struct EntryStatus(uint OwnerId, UnixFileMode Mode, EntryKind Kind);

/// <summary>
/// The few POSIX calls the BCL does not offer and that private files need: the owner of an entry, <c>open</c> with
/// <c>O_NOFOLLOW</c> (a symbolic link is refused, never followed) and <c>flock</c>. Linux gets all of them; other Unix
/// systems get <c>O_NOFOLLOW</c> and locks but no owner check (their <c>stat</c> layouts differ); Windows none of it
/// (callers use the BCL there, and its ACLs rather than mode bits make files private).
/// </summary>
internal static class UnixFiles
{
    public const uint UnknownOwner = uint.MaxValue;

    public const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private const int ENOENT = 2;
    private const int EINTR = 4;
    private const int ENOTDIR = 20;
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const int AT_EMPTY_PATH = 0x1000;
    private const uint STATX_TYPE_MODE_UID = 0x1 | 0x2 | 0x8;
    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;

    /// <summary>True where mode bits, <c>O_NOFOLLOW</c> and <c>flock</c> apply (every Unix).</summary>
    [UnsupportedOSPlatformGuard("windows")]
    public static bool IsUnix => !OperatingSystem.IsWindows();

    /// <summary>The effective user id of this process; <see cref="UnknownOwner"/> on Windows.</summary>
    public static uint CurrentUserId => IsUnix ? LibC.GetEUid() : UnknownOwner;

    /// <summary>The status of <paramref name="path"/> itself (a symbolic link is reported, not followed); false when it does not exist.</summary>
    /// <exception cref="IOException">The OS call failed for another reason.</exception>
    public static bool TryGetStatus(string path, out EntryStatus status)
    {
        // OperatingSystem.IsLinux() itself, not a property over it: NativeAOT folds the call per target, so the
        // fallback (and what it links) is left out of Linux binaries.
        if (OperatingSystem.IsLinux())
        {
            byte[] buffer = new byte[256];
            if (LibC.StatX(AT_FDCWD, NulTerminated(path), AT_SYMLINK_NOFOLLOW, STATX_TYPE_MODE_UID, buffer) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                status = default;
                if (errno == ENOENT) return false;
                throw Error(errno, $"Could not read the status of '{path}'");
            }

            status = Parse(buffer);
            return true;
        }

        FileAttributes attributes;
        try
        {
            attributes = File.GetAttributes(path); // lstat: a link reports ReparsePoint
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            status = default;
            return false;
        }

        EntryKind kind = (attributes & FileAttributes.ReparsePoint) != 0 ? EntryKind.SymbolicLink
            : (attributes & FileAttributes.Directory) != 0 ? EntryKind.Directory
            : EntryKind.Regular;
        UnixFileMode mode = !OperatingSystem.IsWindows() && kind != EntryKind.SymbolicLink ? File.GetUnixFileMode(path) : default;
        status = new EntryStatus(UnknownOwner, mode, kind);
        return true;
    }

    /// <summary>The status of an open file (no path lookup, so no race with a rename).</summary>
    public static EntryStatus GetStatus(SafeFileHandle handle)
    {
        if (OperatingSystem.IsLinux())
        {
            byte[] buffer = new byte[256];
            if (LibC.StatX((int)handle.DangerousGetHandle(), [0], AT_EMPTY_PATH, STATX_TYPE_MODE_UID, buffer) != 0)
            {
                throw Error(Marshal.GetLastPInvokeError(), "Could not read the status of an open file");
            }

            return Parse(buffer);
        }

        return new EntryStatus(UnknownOwner, !OperatingSystem.IsWindows() ? File.GetUnixFileMode(handle) : default, EntryKind.Regular);
    }

    /// <summary>
    /// Opens <paramref name="path"/> without following a symbolic link (<c>O_NOFOLLOW</c>: a link fails with <c>ELOOP</c>);
    /// with <paramref name="create"/>, creates it with mode 0600 if missing. Returns null when it does not exist.
    /// </summary>
    /// <exception cref="IOException">The open failed (the message carries the OS error).</exception>
    public static SafeFileHandle? OpenNoFollow(string path, bool write, bool create)
    {
        OpenFlags f = OpenFlags.Current;
        bool missingIsNull = !create;
        if (create && VariadicArgumentsOnStack && !OperatingSystem.IsWindows())
        {
            CreateExclusive(path);
            create = false;
        }

        int flags = f.NoFollow | f.CloseOnExec | (write ? 2 /* O_RDWR */ : 0 /* O_RDONLY */) | (create ? f.Create : 0);
        return Open(path, flags, missingIsNull, "(symbolic links are refused)");
    }

    /// <summary>
    /// open(2) takes its mode as a variadic argument. Apple's arm64 ABI passes variadic arguments on the stack, where a
    /// fixed-argument P/Invoke never puts them, so the mode <c>O_CREAT</c> would read is garbage. There the file is
    /// created by the BCL instead (see <see cref="CreateExclusive"/>) and then opened without <c>O_CREAT</c>.
    /// </summary>
    /// <remarks>Settable so the tests run the Apple path on Linux too (both paths give the same result everywhere).</remarks>
    internal static bool VariadicArgumentsOnStack { get; set; } =
        (OperatingSystem.IsMacOS() || OperatingSystem.IsIOS()) && RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    /// <summary>Creates the file 0600 if it does not exist. <c>O_CREAT | O_EXCL</c> never follows a symbolic link.</summary>
    [UnsupportedOSPlatform("windows")]
    private static void CreateExclusive(string path)
    {
        try
        {
            new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite, UnixCreateMode = PrivateFileMode,
            }).Dispose();
        }
        catch (IOException)
        {
            // Already there (or not creatable): the O_NOFOLLOW open that follows refuses a link and reports any other failure.
        }
    }

    /// <summary>Opens <paramref name="path"/> read-only, following links as the BCL does; null when it or its folder does not exist.</summary>
    /// <exception cref="IOException">The open failed for another reason (the message carries the OS error).</exception>
    public static SafeFileHandle? OpenForRead(string path) =>
        Open(path, OpenFlags.Current.CloseOnExec /* | O_RDONLY (0) */, missingIsNull: true, "for reading");

    /// <summary>Opens a directory read-only, for <c>fsync</c> (the BCL opens no directories).</summary>
    /// <exception cref="IOException">The open failed (the message carries the OS error).</exception>
    public static SafeFileHandle OpenDirectory(string path) =>
        Open(path, OpenFlags.Current.CloseOnExec /* | O_RDONLY (0) */, missingIsNull: false, "to flush it")!;

    private static SafeFileHandle? Open(string path, int flags, bool missingIsNull, string why)
    {
        byte[] nativePath = NulTerminated(path);
        while (true)
        {
            int fd = LibC.Open(nativePath, flags, (int)PrivateFileMode);
            if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR) continue;
            if (missingIsNull && errno is ENOENT or ENOTDIR) return null;
            throw Error(errno, $"Could not open '{path}' {why}");
        }
    }

    /// <summary>Takes an exclusive <c>flock</c> on the file without waiting; false when another holder has it.</summary>
    public static bool TryLockExclusive(SafeFileHandle handle, string path)
    {
        while (true)
        {
            if (LibC.Flock((int)handle.DangerousGetHandle(), LOCK_EX | LOCK_NB) == 0) return true;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR) continue;
            // EWOULDBLOCK is 11 on Linux, 35 on the BSDs and macOS.
            if (errno == (OperatingSystem.IsLinux() ? 11 : 35)) return false;
            throw Error(errno, $"Could not lock '{path}'");
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> as a 0700 directory if missing (its parent too with <paramref name="privateParent"/>;
    /// other missing ancestors get the default mode), then checks it is a private directory of this user:
    /// not a symbolic link, owned by the current user, no group or other permissions (a looser directory of ours is
    /// tightened). Returns what is wrong, or null when it is fine.
    /// </summary>
    /// <exception cref="IOException">Creating or inspecting the directory failed.</exception>
    /// <exception cref="UnauthorizedAccessException">Creating the directory was not permitted.</exception>
    public static string? EnsurePrivateDirectory(string path, bool privateParent = false)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return null;
        }

        // One lstat when the directory exists (every start but the first): a symbolic link is refused before anything is
        // created through it, and what exists is checked as it is. Only a missing directory is created, and then looked at
        // again.
        if (!TryGetStatus(path, out EntryStatus status))
        {
            if (privateParent && Path.GetDirectoryName(path) is { } parent) Directory.CreateDirectory(parent, PrivateDirectoryMode);
            Directory.CreateDirectory(path, PrivateDirectoryMode);
            if (!TryGetStatus(path, out status)) return "disappeared while it was being opened";
        }

        if (status.Kind == EntryKind.SymbolicLink) return "is a symbolic link";
        if (status.Kind != EntryKind.Directory) return "is not a directory";
        uint me = CurrentUserId;
        if (status.OwnerId != UnknownOwner && status.OwnerId != me)
        {
            return $"is owned by user id {status.OwnerId}, not by the current user (id {me})";
        }

        if ((status.Mode & GroupOrOther) != 0) File.SetUnixFileMode(path, PrivateDirectoryMode);
        return null;
    }

    private static EntryStatus Parse(byte[] statx)
    {
        // struct statx (native byte order): stx_uid at offset 20, stx_mode (u16) at 28, on every Linux architecture.
        uint uid = BitConverter.ToUInt32(statx, 20);
        ushort mode = BitConverter.ToUInt16(statx, 28);
        EntryKind kind = (mode & 0xF000) switch
        {
            0x8000 => EntryKind.Regular,
            0x4000 => EntryKind.Directory,
            0xA000 => EntryKind.SymbolicLink,
            _ => EntryKind.Other,
        };
        return new EntryStatus(uid, (UnixFileMode)(mode & 0xFFF), kind);
    }

    private static IOException Error(int errno, string what) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");

    private static byte[] NulTerminated(string path) => Encoding.UTF8.GetBytes(path + "\0");

    /// <summary><c>open(2)</c> flag values, which differ between kernels and even between Linux architectures.</summary>
    private readonly record struct OpenFlags(int Create, int NoFollow, int CloseOnExec)
    {
        public static readonly OpenFlags Current =
            OperatingSystem.IsMacOS() || OperatingSystem.IsIOS() || OperatingSystem.IsFreeBSD() ? new(0x200, 0x100, OperatingSystem.IsFreeBSD() ? 0x100000 : 0x1000000)
            : RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 or Architecture.Ppc64le ? new(0x40, 0x8000, 0x80000)
            : new(0x40, 0x20000, 0x80000);
    }
}
