using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Protection;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Reliability;

/// <summary>
/// Every single-bit flip, truncation, extension and cross-session copy of a stored envelope, pushed through the
/// connector's real read path: each one must read as absent, be evicted, and be counted as rejected.
/// </summary>
public sealed class TamperTests : IDisposable
{
    private const string RejectedCounter = "sessionconnector.records.rejected";
    private readonly TestConnectors _env = new();
    private readonly ITestOutputHelper _output;

    public TamperTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _env.Dispose();

    private static string KeyOf(string id)
    {
        using var ring = SessionKeyRing.FromSecret(TestConnectors.Key);
        using var protector = new SessionProtector(ring);
        return protector.DeriveStorageKey(id);
    }

    private static Counter Sample(long n) => new() { Value = 1234567 + n, Log = { "alpha", "beta-" + n } };

    /// <summary>All mutations of <paramref name="envelope"/>: bit flips, truncations, appended bytes.</summary>
    private static IEnumerable<(string Kind, byte[] Bytes)> Mutations(byte[] envelope)
    {
        for (int i = 0; i < envelope.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] m = (byte[])envelope.Clone();
                m[i] ^= (byte)(1 << bit);
                yield return ("flip", m);
            }
        }

        for (int length = 0; length < envelope.Length; length++) yield return ("truncate", envelope[..length]);

        var rng = new Random(7);
        foreach (int extra in new[] { 1, 2, 15, 16, 17, 1000 })
        {
            byte[] tail = new byte[extra];
            rng.NextBytes(tail);
            yield return ("append", envelope.Concat(tail).ToArray());
            yield return ("append-zero", envelope.Concat(new byte[extra]).ToArray());
        }
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public async Task EveryTamperedEnvelopeReadsAsAbsentIsEvictedAndCounted(StorageKind kind)
    {
        SessionStorage storage = _env.CreateStorage(kind);
        // No cache: every read must reach the stored bytes.
        using SessionStorageConnector c = _env.Create(storage, o => o.CacheCapacity = 0);
        var rejected = new MetricCounter(c.Meter, RejectedCounter);
        string id = SessionStorageConnector.GenerateId();
        string key = KeyOf(id);

        Assert.True(c.Set(id, Sample(0), TimeSpan.FromHours(1)));
        byte[] original = storage.Read(key)!.Value.Value;

        // Records sealed under a key id this node never held are absent but kept: they may belong to a newer key that
        // other nodes already use (a rolling key deployment). Flips in the key-id field produce exactly those.
        using var ring = SessionKeyRing.FromSecret(TestConnectors.Key);
        using var protector = new SessionConnector.Protection.SessionProtector(ring);
        int inputs = 0, returnedData = 0, notEvicted = 0, keptForUnknownKey = 0;
        long maxTicks = 0;
        var byKind = new Dictionary<string, int>();
        foreach ((string what, byte[] bytes) in Mutations(original))
        {
            long start = Stopwatch.GetTimestamp();
            Assert.True(c.Set(id, Sample(0), TimeSpan.FromHours(1))); // same plaintext, fresh nonce
            StoredRecord current = storage.Read(key)!.Value;
            byte[] tampered = what == "flip" || what == "truncate" || what.StartsWith("append", StringComparison.Ordinal)
                ? Rebase(current.Value, original, bytes)
                : bytes;
            Assert.True(storage.TryWrite(key, tampered, current.ExpiresAt, current.Version, current.Version + 1));

            long before = rejected.Total;
            bool found;
            if (inputs % 5 == 0)
            {
                (found, _) = await c.TryGetAsync<Counter>(id);
            }
            else
            {
                found = c.TryGet<Counter>(id, out _);
            }

            if (found) returnedData++;
            if (storage.Read(key) is not null)
            {
                if (protector.IsFromUnknownKey(tampered)) keptForUnknownKey++;
                else notEvicted++;
            }
            Assert.Equal(before + 1, rejected.Total);
            byKind[what] = byKind.GetValueOrDefault(what) + 1;
            inputs++;
            maxTicks = Math.Max(maxTicks, Stopwatch.GetTimestamp() - start);
        }

        _output.WriteLine($"{kind}: {inputs} tampered envelopes ({string.Join(", ", byKind.Select(p => p.Key + " " + p.Value))}) of a {original.Length}-byte envelope; " +
                          $"{returnedData} returned data, {notEvicted} not evicted, {keptForUnknownKey} kept for an unknown (newer) key id, {rejected.Total} rejected, max {Stopwatch.GetElapsedTime(0, maxTicks).TotalMilliseconds:F1} ms/input");
        Assert.Equal(0, returnedData);
        Assert.Equal(0, notEvicted);
        Assert.InRange(keptForUnknownKey, 1, 32); // only the 32 key-id bits can do this
        Assert.Equal(inputs, rejected.Total);
        Assert.True(inputs > original.Length * 8);
    }

    /// <summary>
    /// Each Set encrypts under a fresh nonce, so the mutation is re-applied to the current envelope: the same position
    /// and bit are flipped / the same length kept / the same tail appended.
    /// </summary>
    private static byte[] Rebase(byte[] current, byte[] original, byte[] mutated)
    {
        Assert.Equal(original.Length, current.Length);
        if (mutated.Length < original.Length) return current[..mutated.Length];
        byte[] result = new byte[mutated.Length];
        for (int i = 0; i < mutated.Length; i++)
        {
            result[i] = i < original.Length ? (byte)(current[i] ^ original[i] ^ mutated[i]) : mutated[i];
        }

        return result;
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public void ARecordCopiedUnderAnotherSessionsKeyIsRejected(StorageKind kind)
    {
        SessionStorage storage = _env.CreateStorage(kind);
        using SessionStorageConnector c = _env.Create(storage, o => o.CacheCapacity = 0);
        var rejected = new MetricCounter(c.Meter, RejectedCounter);
        int pairs = 50, returned = 0, notEvicted = 0, victimsIntact = 0;
        for (int i = 0; i < pairs; i++)
        {
            string a = SessionStorageConnector.GenerateId(), b = SessionStorageConnector.GenerateId();
            Assert.True(c.Set(a, Sample(i)));
            Assert.True(c.Set(b, Sample(1000 + i)));
            StoredRecord ra = storage.Read(KeyOf(a))!.Value;
            StoredRecord rb = storage.Read(KeyOf(b))!.Value;

            // A's bytes under B's key (a swap: B's under A's, too).
            Assert.True(storage.TryWrite(KeyOf(b), ra.Value, null, rb.Version, rb.Version + 1));
            if (i % 2 == 0) Assert.True(storage.TryWrite(KeyOf(a), rb.Value, null, ra.Version, ra.Version + 1));

            if (c.TryGet<Counter>(b, out _)) returned++;
            if (storage.Read(KeyOf(b)) is not null) notEvicted++;
            if (i % 2 == 0)
            {
                if (c.TryGet<Counter>(a, out _)) returned++;
                if (storage.Read(KeyOf(a)) is not null) notEvicted++;
            }
            else if (c.Get<Counter>(a)?.Value == Sample(i).Value)
            {
                victimsIntact++;
            }
        }

        int expected = pairs + pairs / 2;
        _output.WriteLine($"{kind}: {expected} records under a foreign key, {returned} returned data, {notEvicted} not evicted, {rejected.Total} rejected; {victimsIntact}/{pairs / 2} untouched originals still readable");
        Assert.Equal(0, returned);
        Assert.Equal(0, notEvicted);
        Assert.Equal(expected, rejected.Total);
        Assert.Equal(pairs / 2, victimsIntact);
    }

    /// <summary>
    /// A record file holds two slots (<see cref="RecordSlots"/>): the live record and the one written before it. One
    /// flipped bit anywhere must never yield data that was not written. A flip inside the live record fails its checksum,
    /// and the store serves the record before it (what a torn write leaves behind); a flip anywhere else (the 16-byte file
    /// header, which a torn write of slot 0's first sector can damage, the other slot, the padding) leaves the live record
    /// as it was.
    /// </summary>
    [Fact]
    public void FlippingAnyBitOfAFileRecordNeverYieldsOtherData()
    {
        string dir = Path.Combine(_env.Directory, "store");
        using SessionStorageConnector c = _env.Create(StorageKind.File, o => o.CacheCapacity = 0);
        string id = SessionStorageConnector.GenerateId();
        string path = Path.Combine(dir, KeyOf(id) + ".session");
        Counter previous = Sample(41), expected = Sample(42);
        Assert.True(c.Set(id, previous, TimeSpan.FromMinutes(30)));
        Assert.True(c.Set(id, expected, TimeSpan.FromMinutes(30)));
        byte[] written = File.ReadAllBytes(path);
        int slotSize = RecordSlots.SlotSizeOf(written);
        Assert.True(RecordSlots.TryFindLive(written, out LiveSlot first));
        // Every bit of the file header and of both slots' records; every 31st byte of the padding.
        IEnumerable<int> offsets = Enumerable.Range(0, written.Length).Where(i =>
            i < RecordSlots.FileHeaderSize || (i % slotSize) - (i < slotSize ? RecordSlots.FileHeaderSize : 0) < first.Length || i % 31 == 0);

        int inLive = 0, inHeader = 0, elsewhere = 0, previousServed = 0, headerUnchanged = 0, unchanged = 0, wrong = 0, leftOnDisk = 0;
        foreach (int i in offsets)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                // A pair of writes leaves the live record in the slot that was live before it (a missing file: slot 1), and a
                // flip of the live record moves it: one more write first when needed, so the flip lands in the live slot.
                int before = File.Exists(path) && RecordSlots.TryFindLive(File.ReadAllBytes(path), out LiveSlot was) ? was.Index : 1;
                if (before != (i >= slotSize ? 1 : 0)) Assert.True(c.Set(id, expected, TimeSpan.FromMinutes(30)));
                Assert.True(c.Set(id, previous, TimeSpan.FromMinutes(30)));
                Assert.True(c.Set(id, expected, TimeSpan.FromMinutes(30)));
                byte[] bytes = File.ReadAllBytes(path);
                Assert.True(RecordSlots.TryFindLive(bytes, out LiveSlot live));
                bytes[i] ^= (byte)(1 << bit);
                File.WriteAllBytes(path, bytes);
                bool found = c.TryGet<Counter>(id, out Counter? got);
                bool isPrevious = found && Same(got!, previous), isExpected = found && Same(got!, expected);
                if (!found && File.Exists(path)) leftOnDisk++;
                if (i < RecordSlots.FileHeaderSize)
                {
                    inHeader++;
                    if (isExpected) headerUnchanged++;
                    else wrong++;
                }
                else if (i >= live.Start && i < live.Start + live.Length)
                {
                    inLive++;
                    if (isPrevious) previousServed++;
                    else if (found) wrong++;
                }
                else
                {
                    elsewhere++;
                    if (isExpected) unchanged++;
                    else wrong++;
                }
            }
        }

        _output.WriteLine($"file: single-bit flips of a {written.Length}-byte record file: {inHeader} in the file header ({headerUnchanged} left it as it was), {inLive} in the live record ({previousServed} served the record before it), {elsewhere} elsewhere ({unchanged} left it as it was), {wrong} other data, {leftOnDisk} absent but left on disk");
        Assert.Equal(0, wrong);
        Assert.Equal(0, leftOnDisk);
        // CRC-32C detects every single-bit error, so no flip of the live record gets through to the connector.
        Assert.Equal(inLive, previousServed);
        Assert.Equal(inHeader, headerUnchanged);
        Assert.Equal(elsewhere, unchanged);
        Assert.Equal(2 * first.Length * 8, inLive); // both slots' records, each flipped while live
    }

    private static bool Same(Counter a, Counter b) => a.Value == b.Value && a.Log.SequenceEqual(b.Log);
}
