using System;
using System.Runtime.InteropServices;

namespace SessionConnector.Storage.Files;

/// <summary>
/// The C library calls the BCL does not offer (Unix only), declared once for the whole assembly: file owners
/// (<c>statx</c>), <c>open</c> with <c>O_NOFOLLOW</c>, <c>flock</c>, a directory <c>fsync</c> and <c>fdatasync</c>.
/// </summary>
/// <remarks>
/// "libc" is not a file name on Linux, so the runtime's default search would try <c>libc.so</c> (a linker script on glibc
/// systems, which <c>dlopen</c> rejects), <c>liblibc.so</c> and then <c>libc</c> in every library directory: about 90 failed
/// file-system calls (~0.2 ms) on the first call of every process. On Linux the resolver below answers with the program's own
/// symbol scope instead, which holds the C library every process is linked against (glibc or musl alike), so nothing is
/// searched. Elsewhere the default search is kept: there "libc" is found on the first try (macOS's <c>libc.dylib</c>).
/// </remarks>
internal static class LibC
{
    private const string Library = "libc";

    // A static constructor (not a field initialiser) makes the type's initialisation precise: it runs before the first
    // call into the class, so before the first P/Invoke below is bound.
    static LibC()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(LibC).Assembly, static (name, _, _) =>
                name == Library && OperatingSystem.IsLinux() ? NativeLibrary.GetMainProgramHandle() : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // The app set a resolver for this assembly first; it decides, and the default search still finds "libc".
        }
    }

    // Blittable signatures only: no runtime marshalling, so NativeAOT compiles the stubs ahead of time.
    [DllImport(Library, EntryPoint = "open", SetLastError = true)]
    public static extern int Open(byte[] path, int flags, int mode);

    [DllImport(Library, EntryPoint = "fsync", SetLastError = true)]
    public static extern int FSync(int fd);

    [DllImport(Library, EntryPoint = "fdatasync", SetLastError = true)]
    public static extern int FDataSync(int fd);

    // off_t arguments: 64-bit only (callers check); 32-bit glibc would need fallocate64, which musl does not export.
    [DllImport(Library, EntryPoint = "fallocate", SetLastError = true)]
    public static extern int FAllocate(int fd, int mode, long offset, long length);

    [DllImport(Library, EntryPoint = "statx", SetLastError = true)]
    public static extern int StatX(int dirfd, byte[] path, int flags, uint mask, [Out] byte[] buffer);

    [DllImport(Library, EntryPoint = "flock", SetLastError = true)]
    public static extern int Flock(int fd, int operation);

    [DllImport(Library, EntryPoint = "geteuid")]
    public static extern uint GetEUid();

    /// <summary>
    /// Binds every import above now (Linux), each with a call that fails at once and touches nothing: no path, fd -1.
    /// </summary>
    /// <remarks>
    /// Why: an import is bound on its first call, through <c>dlsym</c>, which takes glibc's loader lock, and loading the
    /// crypto library (<c>dlopen</c> of libssl/libcrypto, several milliseconds) holds that lock throughout. Bound while
    /// <see cref="Protection.CryptoWarmUp"/> loads it, a store's first file call waited for the whole load (strace: the
    /// store open's first <c>statx</c> blocked on the lock until the <c>dlopen</c> returned; phases "-warm": store open 1.6
    /// → 6.1 ms). Bound before the load starts, the store open and the key file overlap with it instead.
    /// </remarks>
    public static void BindImports()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] empty = [0];
        _ = Open(empty, 0, 0);                              // ENOENT: an empty path
        _ = StatX(-1, empty, 0, 0, new byte[256]);         // ENOENT: an empty path without AT_EMPTY_PATH
        _ = Flock(-1, 8);                                   // EBADF (LOCK_UN)
        _ = FSync(-1);                                      // EBADF
        _ = FDataSync(-1);                                  // EBADF
        if (IntPtr.Size == 8) _ = FAllocate(-1, 0, 0, 0);   // EBADF (EINVAL on some kernels: the length)
        _ = GetEUid();
    }
}
