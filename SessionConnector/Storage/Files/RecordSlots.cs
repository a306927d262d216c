using System;
using System.Buffers.Binary;
using System.Numerics;

namespace SessionConnector.Storage.Files;

/// <summary>
/// The file store's record file (<c>SCFS</c>): a 16-byte file header, then two slots, each holding a whole record; the
/// live record is the valid slot with the higher sequence number. An update rewrites the other slot in place and
/// flushes it (<c>fdatasync</c>): no new file, no rename, no directory flush.
/// </summary>
/// <remarks>
/// <para>Why two slots: one <c>fdatasync</c> of a file whose size does not change writes the data and no metadata, so it
/// needs no journal commit and no directory lock, and concurrent writers' flushes run side by side on the device. The
/// previous path (temp file, fsync, rename, directory fsync) paid two journal commits per write, which every writer of
/// the file system queued for (issue 27: 16 writers got ~1.5× one writer; in C on the same disk, 16 in-place writers got 8–10× the old path's 16).</para>
/// <para>Why it is safe: a write only ever touches the slot that is not live, so a torn write (power loss, a killed
/// process) damages at most the record that was never acknowledged; the live one is untouched, and the checksum makes the
/// torn slot invalid. Slot 0 starts after the file header, slot 1 at <c>SlotSize</c>, a multiple of 4096: the two never
/// share a page or a sector, so the device never rewrites one while writing the other. The file header is written when
/// the file is created and never again by the store; but the device rewrites its sector along with slot 0's first
/// bytes, so it is checked and not trusted alone (see <see cref="SlotSizeOf(ReadOnlySpan{byte}, out bool)"/>). Both
/// slots are written in full at creation, so an in-place write never allocates a block (which would need metadata, hence
/// the journal, again).</para>
/// <para>Slot layout (little-endian): magic <c>SCF2</c>, payload length (int32), version (int64), expiry in Unix ms (int64,
/// 0 = none), sequence (int64, 0 = empty), CRC-32C of the header's first 32 bytes and the payload (uint32), 4 zero bytes,
/// then the payload. The checksum detects torn writes, not tampering: the payload is the connector's authenticated
/// envelope, which the connector checks.</para>
/// </remarks>
internal static class RecordSlots
{
    public const int FileHeaderSize = 16;
    public const int SlotHeaderSize = 40;
    private const int Block = 4096;
    private const int ChecksumOffset = 32;

    public static ReadOnlySpan<byte> FileMagic => "SCFS"u8;

    public static ReadOnlySpan<byte> SlotMagic => "SCF2"u8;

    /// <summary>The largest payload a record file holds: two slots of it stay within the largest array a read can fill.</summary>
    public static readonly int MaxPayload = Capacity(Array.MaxLength / 2 / Block * Block);

    /// <summary>The slot size for a payload up to <see cref="MaxPayload"/>: room for the file header, a slot header and the payload, in whole blocks.</summary>
    public static int SlotSizeFor(int payloadLength) =>
        (int)(((long)FileHeaderSize + SlotHeaderSize + payloadLength + Block - 1) / Block * Block);

    /// <summary>The largest payload either slot of a file with this slot size holds (slot 0 gives up the file header).</summary>
    public static int Capacity(int slotSize) => slotSize - FileHeaderSize - SlotHeaderSize;

    /// <summary>Where a slot starts in the file.</summary>
    public static long SlotOffset(int slot, int slotSize) => slot == 0 ? FileHeaderSize : slotSize;

    /// <summary>The file header: its magic and slot size.</summary>
    public static void WriteFileHeader(Span<byte> header, int slotSize)
    {
        header[..FileHeaderSize].Clear();
        FileMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], slotSize);
    }

    /// <summary>Writes a slot's header for <paramref name="payload"/> (which the caller places right after it).</summary>
    public static void WriteSlotHeader(Span<byte> header, ReadOnlySpan<byte> payload, long version, long expiryMs, long sequence)
    {
        SlotMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], version);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], expiryMs);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(header[ChecksumOffset..], Checksum(header[..ChecksumOffset], payload));
        header[36..SlotHeaderSize].Clear();
    }

    /// <summary>The slot size of a whole record file, or 0 when <paramref name="file"/> cannot be one (see the overload).</summary>
    public static int SlotSizeOf(ReadOnlySpan<byte> file) => SlotSizeOf(file, out _);

    /// <summary>
    /// The slot size of a whole record file: half its length, when that is a positive multiple of 4096; otherwise 0 (not
    /// a record file). <paramref name="headerIntact"/> says whether the file header agrees (its magic, that slot size,
    /// zero reserved bytes).
    /// </summary>
    /// <remarks>
    /// A damaged header alone does not make the file garbage: the header shares its first sector with slot 0, so a
    /// device that tears that sector during a write of slot 0 can damage it while slot 1 holds the live record. The
    /// slots' own checksums decide; a writer replaces such a file rather than update it in place (see the caller).
    /// </remarks>
    public static int SlotSizeOf(ReadOnlySpan<byte> file, out bool headerIntact)
    {
        headerIntact = false;
        if (file.Length < 2 * Block || file.Length % (2 * Block) != 0) return 0;
        int slotSize = file.Length / 2;
        headerIntact = ClaimedSlotSize(file) == slotSize;
        return slotSize;
    }

    /// <summary>
    /// The slot size a file header names (its magic, a positive multiple of 4096 two slots of which an array can hold, zero
    /// reserved bytes), or 0. Checked against the file's length by <see cref="SlotSizeOf(ReadOnlySpan{byte}, out bool)"/>;
    /// taken on its word by a first look that reads only the headers.
    /// </summary>
    public static int ClaimedSlotSize(ReadOnlySpan<byte> header)
    {
        if (header.Length < FileHeaderSize || !header[..4].SequenceEqual(FileMagic) || BinaryPrimitives.ReadInt64LittleEndian(header[8..]) != 0) return 0;
        int slotSize = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        return slotSize >= Block && slotSize % Block == 0 && slotSize <= Array.MaxLength / 2 ? slotSize : 0;
    }

    /// <summary>
    /// The live slot of a whole record file: the valid slot with the higher sequence. False when the file is not a record
    /// file or neither slot is valid (garbage, or both torn).
    /// </summary>
    public static bool TryFindLive(ReadOnlySpan<byte> file, out LiveSlot live)
    {
        live = default;
        int slotSize = SlotSizeOf(file, out bool headerIntact);
        if (slotSize == 0) return false;
        bool found = false;
        for (int slot = 0; slot < 2; slot++)
        {
            int start = (int)SlotOffset(slot, slotSize);
            ReadOnlySpan<byte> bytes = file.Slice(start, Capacity(slotSize) + SlotHeaderSize);
            if (!TryReadSlot(bytes, out long sequence, out int length)) continue;
            if (found && sequence <= live.Sequence) continue;
            live = new LiveSlot(slot, slotSize, sequence, start, SlotHeaderSize + length, headerIntact);
            found = true;
        }

        return found;
    }

    /// <summary>
    /// Checks one slot (its header and checksum, with its payload anywhere in <paramref name="slot"/>): its sequence and
    /// payload length when valid. The version and expiry are read by the caller from the same header.
    /// </summary>
    public static bool TryReadSlot(ReadOnlySpan<byte> slot, out long sequence, out int length)
    {
        sequence = 0;
        length = 0;
        if (slot.Length < SlotHeaderSize || !slot[..4].SequenceEqual(SlotMagic)) return false;
        int declared = BinaryPrimitives.ReadInt32LittleEndian(slot[4..]);
        long seq = BinaryPrimitives.ReadInt64LittleEndian(slot[24..]);
        if (declared < 0 || declared > slot.Length - SlotHeaderSize || seq <= 0) return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(slot[36..]) != 0) return false; // reserved, and outside the checksum
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(slot[ChecksumOffset..]);
        if (stored != Checksum(slot[..ChecksumOffset], slot.Slice(SlotHeaderSize, declared))) return false;
        sequence = seq;
        length = declared;
        return true;
    }

    /// <summary>
    /// From the two slot headers alone: the expiry (Unix ms, 0 = none) the slot with the higher sequence claims, or false
    /// when neither header makes a claim.
    /// </summary>
    public static bool TryReadLiveClaim(ReadOnlySpan<byte> slot0Header, ReadOnlySpan<byte> slot1Header, out long expiryMs)
    {
        bool valid0 = TryReadClaims(slot0Header, out long sequence0, out long expiry0);
        bool valid1 = TryReadClaims(slot1Header, out long sequence1, out long expiry1);
        expiryMs = valid1 && (!valid0 || sequence1 > sequence0) ? expiry1 : expiry0;
        return valid0 || valid1;
    }

    /// <summary>
    /// What a slot header claims, unchecked: its sequence and expiry (Unix ms, 0 = none) when it has the slot magic, a
    /// positive sequence, a version and zero reserved bytes. Without its payload the checksum cannot be verified, so a
    /// claim is never enough to serve or keep a record; a caller may use it only to leave a record alone for now.
    /// </summary>
    public static bool TryReadClaims(ReadOnlySpan<byte> header, out long sequence, out long expiryMs)
    {
        sequence = 0;
        expiryMs = 0;
        if (header.Length < SlotHeaderSize || !header[..4].SequenceEqual(SlotMagic)) return false;
        long seq = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        if (seq <= 0 || BinaryPrimitives.ReadInt64LittleEndian(header[8..]) == 0 || BinaryPrimitives.ReadUInt32LittleEndian(header[36..]) != 0) return false;
        sequence = seq;
        expiryMs = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        return true;
    }

    /// <summary>CRC-32C (hardware-assisted where the CPU has it, through <see cref="BitOperations.Crc32C(uint, ulong)"/>).</summary>
    private static uint Checksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload) => ~Crc(Crc(~0u, header), payload);

    private static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }
}

/// <summary>
/// The live slot of a record file: which one, the file's slot size, its sequence, where its record (slot header and
/// payload) lies in the file, and whether the file header is intact.
/// </summary>
internal readonly record struct LiveSlot(int Index, int SlotSize, long Sequence, int Start, int Length, bool HeaderIntact);
