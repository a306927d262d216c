using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using SessionConnector.Serialization;

namespace SessionConnector.Principals;

/// <summary>
/// One principal's index: the storage keys of its bound sessions (keyed hashes of the session IDs, never the IDs) with
/// their generation, times, expiry and label. Stored as its own sealed record (so it is encrypted and authenticated like a
/// session) and changed only by compare-and-set on that record, which is what makes the session cap atomic.
/// </summary>
/// <remarks>
/// Every entry carries its own expiry: expired entries are dropped whenever the index is read, so an expired session
/// never stays listed and no keyspace notifications are needed. The index is a convenience for listing, capping and
/// cleanup; revocation never depends on it (the generation does that).
/// </remarks>
internal sealed class PrincipalIndex
{
    public const int MaxLabelBytes = 256;
    private const byte MessagePackBin32 = 0xc6;
    private const byte EntryVersion = 1;

    public List<Entry> Entries { get; } = new();

    public sealed record Entry(string StorageKey, long Generation, long CreatedMs, long LastSeenMs, long ExpiresMs, string? Label)
    {
        public bool IsExpired(long nowMs) => ExpiresMs != 0 && ExpiresMs <= nowMs;
    }

    /// <summary>Drops entries that expired or belong to an older generation (signed out).</summary>
    public void Prune(long nowMs, long generation) => Entries.RemoveAll(e => e.IsExpired(nowMs) || e.Generation != generation);

    /// <summary>
    /// The payload: an ordinary header (no expiry: the record lives while any entry might) and the entries as one
    /// MessagePack bin, so store maintenance sees a well-formed record.
    /// </summary>
    public byte[] ToPayload()
    {
        var body = new List<byte>(64 * Entries.Count + 8) { EntryVersion };
        Span<byte> number = stackalloc byte[8];
        foreach (Entry e in Entries)
        {
            body.AddRange(Encoding.ASCII.GetBytes(e.StorageKey));
            foreach (long n in (ReadOnlySpan<long>)[e.Generation, e.CreatedMs, e.LastSeenMs, e.ExpiresMs])
            {
                BinaryPrimitives.WriteInt64BigEndian(number, n);
                body.AddRange(number.ToArray());
            }

            byte[] label = e.Label is null ? [] : Encoding.UTF8.GetBytes(e.Label);
            body.Add(e.Label is null ? (byte)0xff : (byte)label.Length);
            body.AddRange(label);
        }

        var payload = new byte[SessionPayload.HeaderSize + 5 + body.Count];
        SessionPayload.WriteHeader(payload, SessionFormat.MessagePack, null, null, principal: null);
        payload[SessionPayload.HeaderSize] = MessagePackBin32;
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(SessionPayload.HeaderSize + 1), body.Count);
        body.CopyTo(payload, SessionPayload.HeaderSize + 5);
        return payload;
    }

    /// <summary>Reads an opened index payload; false for anything malformed (the caller then starts an empty index).</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out PrincipalIndex index)
    {
        index = new PrincipalIndex();
        if (payload.Length < SessionPayload.HeaderSize + 6 || payload[SessionPayload.HeaderSize] != MessagePackBin32) return false;
        int length = BinaryPrimitives.ReadInt32BigEndian(payload[(SessionPayload.HeaderSize + 1)..]);
        ReadOnlySpan<byte> body = payload[(SessionPayload.HeaderSize + 5)..];
        if (length != body.Length || body[0] != EntryVersion) return false;
        body = body[1..];
        while (!body.IsEmpty)
        {
            if (body.Length < 43 + 32 + 1) return false;
            string key = Encoding.ASCII.GetString(body[..43]);
            long generation = BinaryPrimitives.ReadInt64BigEndian(body[43..]);
            long created = BinaryPrimitives.ReadInt64BigEndian(body[51..]);
            long lastSeen = BinaryPrimitives.ReadInt64BigEndian(body[59..]);
            long expires = BinaryPrimitives.ReadInt64BigEndian(body[67..]);
            byte labelLength = body[75];
            body = body[76..];
            string? label = null;
            if (labelLength != 0xff)
            {
                if (body.Length < labelLength) return false;
                label = Encoding.UTF8.GetString(body[..labelLength]);
                body = body[labelLength..];
            }

            index.Entries.Add(new Entry(key, generation, created, lastSeen, expires, label));
        }

        return true;
    }

    /// <summary>A label cut to at most <see cref="MaxLabelBytes"/> - 1 UTF-8 bytes on a character boundary.</summary>
    public static string? Clip(string? label)
    {
        if (label is null) return null;
        if (Encoding.UTF8.GetByteCount(label) < MaxLabelBytes) return label;
        int length = label.Length;
        while (length > 0 && Encoding.UTF8.GetByteCount(label.AsSpan(0, length)) >= MaxLabelBytes) length--;
        if (length > 0 && char.IsHighSurrogate(label[length - 1])) length--;
        return label[..length];
    }
}
