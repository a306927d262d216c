using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace SessionConnector.Storage.Files;

/// <summary>
/// The file store's change table: a small file in the store's <c>.locks</c> directory, mapped shared by every process that opens the store,
/// holding one 64-bit counter per slot (a hash of the storage key picks the slot). Every change of a record (write,
/// compare-and-set, delete, expiry sweep, clear), in any process, adds 2 to its slot: 1 before the rename or unlink
/// (the slot turns odd) and 1 after (even again); 3 after a writer died mid-change (see <see cref="BeginChange"/>). A reader takes the slot's value before it reads the record; its cached
/// copy is current for as long as the slot still holds that same even value. So a cache hit costs one memory load instead
/// of the open/read/close a file store would otherwise need to learn that another process changed the record.
/// </summary>
/// <remarks>
/// <para>Slots are a multiple of the store's 64 lock stripes and both come from the same hash, so every key of a slot is in
/// one stripe: writers of a slot (other than <see cref="FileSessionStorage.Clear"/>) hold that stripe's OS lock, and an odd
/// slot means exactly one change in progress. A writer that dies between its two increments leaves its slot odd: no read of
/// that slot is served from a cache (correct, only slower) until the slot's next change, which moves it by three (see
/// <see cref="BeginChange"/>) and so leaves it even again.</para>
/// <para>Trust: the table lives in the private store (0700 directory, 0600 file, owner checked), so another local user cannot
/// open it. Whoever can write the store can bump slots (extra misses) or hold them still (stale hits); the connector keeps
/// <c>CacheMaxAge</c> as an absolute bound on any cached entry, so tampering cannot stretch staleness beyond what a store
/// without a table allows. A file of the wrong size, magic, version or slot count is ignored, never repaired: the store
/// then behaves as it does without a table.</para>
/// <para>The mapping is never unmapped explicitly: a cache hit may be reading it on another thread while the store is
/// disposed, and a read of an unmapped page kills the process. The view's safe handle unmaps it once the table is
/// unreachable; every member that touches the memory keeps the table alive until it is done.</para>
/// </remarks>
internal sealed unsafe class ChangeTable
{
    /// <summary>Slots in the table: 128 KiB of counters, a multiple of the 64 lock stripes (see the remarks).</summary>
    public const int SlotCount = 16384;

    /// <summary>A stamp no slot matches (odd): what a cache entry holds when no current stamp was seen.</summary>
    public const long NoStamp = -1;

    public const string FileName = "changes";

    private const int HeaderSize = 64;
    private const int FormatVersion = 1;

    /// <summary>The file's exact size: a 64-byte header (magic, version, slot count), then the slots.</summary>
    public const long FileSize = HeaderSize + (SlotCount * sizeof(long));

    private static ReadOnlySpan<byte> Magic => "SCCT"u8;

    // Kept only so the mapping stays alive as long as this table does (its safe handle unmaps it when finalised).
    private readonly MemoryMappedViewAccessor _view;
    private readonly long* _slots;

    private ChangeTable(MemoryMappedViewAccessor view, long* slots)
    {
        _view = view;
        _slots = slots;
    }

    /// <summary>
    /// The slot of a storage key: a stable FNV-1a hash (not string.GetHashCode, which is randomised per process). The
    /// store's lock stripe is this slot modulo its stripe count, so slot % 64 is the key's stripe.
    /// </summary>
    public static int SlotOf(string key)
    {
        uint h = 2166136261;
        foreach (char c in key) h = (h ^ c) * 16777619;
        return (int)(h % SlotCount);
    }

    /// <summary>The slot's value now, to be taken before a storage read or write of a key in it.</summary>
    public long Stamp(int slot)
    {
        long value = Volatile.Read(ref _slots[(uint)slot % SlotCount]);
        GC.KeepAlive(this);
        return value;
    }

    /// <summary>Whether nothing in the slot changed since <paramref name="stamp"/> was taken (never for an odd stamp).</summary>
    public bool IsCurrent(int slot, long stamp) => (stamp & 1) == 0 && Stamp(slot) == stamp;

    /// <summary>
    /// The stamp that holds after this process's own change of a key, given the stamp taken before it: exactly one change
    /// (this one, +2) since then, or nothing is trusted.
    /// </summary>
    public static long AfterOwnChange(long before) => (before & 1) == 0 ? before + 2 : NoStamp;

    /// <summary>Marks the slot's change as started (odd): call before the rename or unlink.</summary>
    /// <remarks>
    /// Changes of a slot are serialised by its stripe lock (see the remarks on the class), so a slot found odd here was left
    /// so by a writer that died between its two increments. One increment would make it even while this change is under
    /// way: a reader stamping it then would trust the record it reads before this change lands, and if this writer died
    /// too, that stale copy would stay current for good. So an odd slot moves by two here: odd while this change runs,
    /// even (trusted again) once it is done.
    /// </remarks>
    public void BeginChange(int slot)
    {
        ref long value = ref _slots[(uint)slot % SlotCount];
        // Interlocked: other processes' changes of other keys share the mapping (and Clear takes no lock).
        if ((Interlocked.Increment(ref value) & 1) == 0) Interlocked.Increment(ref value);
        GC.KeepAlive(this);
    }

    /// <summary>Marks the slot's change as done (even): call after the rename or unlink, whether or not it succeeded.</summary>
    public void EndChange(int slot)
    {
        Interlocked.Increment(ref _slots[(uint)slot % SlotCount]);
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Opens (creating if missing) the table at <paramref name="path"/>, or null when it cannot be used: not a private
    /// regular file of this user, the wrong size or header, or any I/O failure. No lock is needed: extending the file is
    /// one atomic size change, and processes that set up a new file at once write the same header bytes and no slot.
    /// </summary>
    public static ChangeTable? TryOpen(string path)
    {
        try
        {
            using SafeFileHandle? handle = OpenPrivate(path);
            if (handle is null) return null;
            long length = RandomAccess.GetLength(handle);
            if (length != 0 && length != FileSize) return null;
            if (!TryAllocate(handle)) return null;
            // A new (empty) file is extended to its size here, zero-filled: every slot starts even.
            MemoryMappedViewAccessor view;
            using (MemoryMappedFile file = MemoryMappedFile.CreateFromFile(handle, null, FileSize, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true))
            {
                view = file.CreateViewAccessor(0, FileSize, MemoryMappedFileAccess.ReadWrite);
            }

            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            // Released at once: the pointer stays valid while _view is reachable, which the table guarantees (see remarks).
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            byte* header = start + view.PointerOffset;
            if (!TryInitialise(new Span<byte>(header, HeaderSize)))
            {
                view.Dispose();
                return null;
            }

            return new ChangeTable(view, (long*)(header + HeaderSize));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// A header never written (zero magic: a new file, or one whose creator died before finishing it) is written now, magic
    /// last; any other header must match this format exactly.
    /// </summary>
    private static bool TryInitialise(Span<byte> header)
    {
        if (header[..4].IndexOfAnyExcept((byte)0) < 0)
        {
            BitConverter.TryWriteBytes(header[4..], FormatVersion);
            BitConverter.TryWriteBytes(header[8..], SlotCount);
            Thread.MemoryBarrier();
            Magic.CopyTo(header);
            return true;
        }

        return header[..4].SequenceEqual(Magic)
            && BitConverter.ToInt32(header[4..]) == FormatVersion
            && BitConverter.ToInt32(header[8..]) == SlotCount;
    }

    /// <summary>
    /// Gives the file real blocks for every page (<c>fallocate</c>; data already there is left as it is, so a process
    /// racing to open the same table loses nothing). Why: the table is extended sparse, and the first write to a page of a
    /// hole must allocate a block; on a full file system that write cannot be failed, so the kernel kills the process
    /// (<c>SIGBUS</c>, an access violation in .NET) in the middle of a record write. Allocated now, a full disk means no
    /// table (false: the store then works without one), never a crash. Where the call is missing or not supported (other
    /// systems, 32-bit Linux, file systems without it) the table is used as before.
    /// </summary>
    private static bool TryAllocate(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8) return true;
        if (LibC.FAllocate((int)handle.DangerousGetHandle(), 0, 0, FileSize) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno is not (NoSpace or QuotaExceeded);
    }

    private const int NoSpace = 28; // ENOSPC
    private const int QuotaExceeded = 122; // EDQUOT

    /// <summary>The table file, opened read-write and checked to be a regular 0600 file of this user; null when it is not.</summary>
    private static SafeFileHandle? OpenPrivate(string path)
    {
        if (!UnixFiles.IsUnix)
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }

        // O_NOFOLLOW, created 0600: a planted symbolic link is refused, and the checks below run on what was opened.
        SafeFileHandle handle = UnixFiles.OpenNoFollow(path, write: true, create: true)!;
        EntryStatus status = UnixFiles.GetStatus(handle);
        bool ours = status.OwnerId == UnixFiles.UnknownOwner || status.OwnerId == UnixFiles.CurrentUserId;
        if (status.Kind == EntryKind.Regular && ours && (status.Mode & UnixFiles.GroupOrOther) == 0) return handle;
        handle.Dispose();
        return null;
    }
}
