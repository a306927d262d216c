using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using SessionConnector;
using SessionConnector.Protection;
using SessionConnector.Serialization;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Reliability;

/// <summary>
/// Mutation fuzzing of everything that parses stored bytes: the envelope parser, the payload header and readers
/// (MessagePack and JSON: SessionBag, the hand-written Counter and generated [SessionData] types), and the connector's
/// whole read path. 10,000 inputs per target by default, 1,000,000 with SESSIONCONNECTOR_LONG=1.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private static readonly DateTimeOffset Future = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TestConnectors _env = new();
    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _env.Dispose();

    private static IEnumerable<SessionBag> SampleBags()
    {
        yield return new SessionBag();
        yield return new SessionBag { ["k"] = 1 };
        yield return new SessionBag { ["user"] = "alice", ["id"] = 42L, ["admin"] = false, ["score"] = 3.25, ["nothing"] = null };
        yield return new SessionBag { ["bytes"] = new byte[] { 0, 1, 2, 255 }, ["list"] = new List<object?> { 1L, "two", 3.0, null, true }, ["s"] = "caf\u00e9 \ud83d\ude00 \"q\" \\" };
        var nested = new SessionBag { ["leaf"] = -1L };
        for (int i = 0; i < 10; i++) nested = new SessionBag { ["n" + i] = nested, ["l"] = new List<object?> { nested.Count, "x" } };
        yield return nested;
        yield return new SessionBag { ["big"] = new string('x', 300), ["neg"] = long.MinValue, ["max"] = long.MaxValue, ["inf"] = double.PositiveInfinity };
    }

    private static IEnumerable<Counter> SampleCounters()
    {
        yield return new Counter();
        yield return new Counter { Value = 7, Log = { "a" } };
        yield return new Counter { Value = long.MaxValue, Log = { "", "caf\u00e9", new string('y', 100) } };
    }

    private static List<byte[]> Payloads(SessionFormat format, DateTimeOffset? expiry = null, DateTimeOffset? absolute = null)
    {
        var seeds = new List<byte[]>();
        foreach (SessionBag bag in SampleBags()) seeds.Add(SessionPayload.Encode(bag, format, expiry, absolute).ToArray());
        foreach (Counter counter in SampleCounters()) seeds.Add(SessionPayload.Encode(counter, format, expiry, absolute).ToArray());
        // Generated readers: the type with every supported member kind, and a recursive one.
        seeds.Add(SessionPayload.Encode(Generators.SessionDataRoundTripTests.Sample(), format, expiry, absolute).ToArray());
        var tree = new Generators.TreeNode { Value = 1 };
        for (int i = 0; i < 5; i++) tree = new Generators.TreeNode { Value = i, Children = new() { tree, new Generators.TreeNode() }, Next = new Generators.TreeNode { Value = -i } };
        seeds.Add(SessionPayload.Encode(tree, format, expiry, absolute).ToArray());
        return seeds;
    }

    private static string TryDecode<T>(byte[] payload, SessionFormat format) where T : ISessionData<T>
    {
        try
        {
            SessionPayload.Decode<T>(payload, format);
            return "ok";
        }
        catch (SessionFormatException)
        {
            return "format";
        }
    }

    /// <summary>Header, then both readers; only SessionFormatException may escape a reader.</summary>
    private static string DecodeAll(byte[] payload)
    {
        if (!SessionPayload.TryReadHeader(payload, out SessionFormat format, out _, out _)) return "bad header";
        return $"{format}: bag {TryDecode<SessionBag>(payload, format)}, counter {TryDecode<Counter>(payload, format)}, " +
               $"generated {TryDecode<Generators.AllTypes>(payload, format)}/{TryDecode<Generators.TreeNode>(payload, format)}";
    }

    [Theory]
    [InlineData(SessionFormat.MessagePack)]
    [InlineData(SessionFormat.Json)]
    public void PayloadReadersThrowOnlySessionFormatException(SessionFormat format)
    {
        List<byte[]> seeds = Payloads(format, Future, Future);
        // Data mutations only (the 17-byte header is kept so the readers are reached); the header is fuzzed below.
        FuzzHarness.Run(_output, $"payload readers ({format})", seeds, DecodeAll, protectPrefix: SessionPayload.HeaderSize);
    }

    [Fact]
    public void PayloadHeaderAndReadersThrowOnlySessionFormatException()
    {
        List<byte[]> seeds = Payloads(SessionFormat.MessagePack, Future, null).Concat(Payloads(SessionFormat.Json, null, Future)).ToList();
        FuzzHarness.Run(_output, "payload header+readers (both formats)", seeds, DecodeAll);
    }

    [Fact]
    public void EnvelopeParserReturnsFalseAndNeverThrows()
    {
        using var ring = SessionKeyRing.FromSecret(TestConnectors.Key);
        using var protector = new SessionProtector(ring);
        string id = SessionStorageConnector.GenerateId();
        List<byte[]> seeds = Payloads(SessionFormat.MessagePack).Select(p => protector.Protect(id, 1, p)).ToList();
        seeds.Add(protector.Protect(id, 1, ReadOnlySpan<byte>.Empty));
        var valid = new HashSet<string>(seeds.Select(Convert.ToHexString));

        FuzzHarness.Run(_output, "envelope parser (TryUnprotect)", seeds, input =>
        {
            bool ok = protector.TryUnprotect(id, 1, input, out _, out _);
            if (ok && !valid.Contains(Convert.ToHexString(input))) throw new InvalidOperationException("a mutated envelope authenticated");
            if (!ok && valid.Contains(Convert.ToHexString(input))) throw new InvalidOperationException("an unmodified envelope was rejected");
            return ok ? "unmodified, accepted" : "rejected";
        });
    }

    [Theory]
    [InlineData(StorageKind.Memory)]
    [InlineData(StorageKind.File)]
    public void ConnectorReadPathTurnsCorruptRecordsIntoAbsentSessions(StorageKind kind)
    {
        SessionStorage storage = _env.CreateStorage(kind);
        using SessionStorageConnector c = _env.Create(storage, o => o.CacheCapacity = 0);
        using var ring = SessionKeyRing.FromSecret(TestConnectors.Key);
        using var protector = new SessionProtector(ring);
        string id = SessionStorageConnector.GenerateId();
        string key = protector.DeriveStorageKey(id);
        var rejected = new MetricCounter(c.Meter, "sessionconnector.records.rejected");

        // Seeds are plaintext payloads (sealed after mutation, so mutations reach the header and readers through real
        // decryption) and, marked by a leading 0xFF, whole envelopes (mutated after sealing).
        List<byte[]> payloads = Payloads(SessionFormat.MessagePack, Future, Future).Concat(Payloads(SessionFormat.Json, null, null)).ToList();
        var seeds = new List<byte[]>(payloads);
        // Whole envelopes are sealed for, and stored at, version 1 (the version is part of what they authenticate).
        seeds.AddRange(payloads.Take(4).Select(p => new byte[] { 0xFF }.Concat(protector.Protect(key, 1, p)).ToArray()));

        long version = 1;
        int n = 0;
        FuzzHarness.Run(_output, $"connector read path ({kind})", seeds, input =>
        {
            bool whole = input.Length > 0 && input[0] == 0xFF;
            long at = whole ? 1 : ++version;
            byte[] record = whole ? input[1..] : protector.Protect(key, at, input);
            Assert.True(storage.TryWrite(key, record, null, SessionStorage.AnyVersion, at));
            bool found = (n++ % 3) switch
            {
                0 => c.TryGet<SessionBag>(id, out _),
                1 => c.TryGet<Counter>(id, out _),
                _ => c.Update<Counter>(id, x => x.Value++),
            };
            // Authentic records that do not decode for the reader's type stay for readers that can decode them.
            if (!found && storage.Read(key) is not null && !protector.IsFromUnknownKey(record) && !protector.TryUnprotect(id, at, record, out _, out _))
            {
                throw new InvalidOperationException("a record that did not authenticate was not evicted");
            }
            return found ? "read" : "absent";
        }, inputs: kind == StorageKind.File ? FuzzHarness.Inputs / 5 : null);
        _output.WriteLine($"  {rejected.Total:N0} records counted as rejected");
    }

    /// <summary>Nesting far deeper than any limit, on a thread with the default stack size: must be a format error, not a stack overflow.</summary>
    [Fact]
    public void DeeplyNestedPayloadsAreFormatErrorsNotStackOverflows()
    {
        int depth = 100_000;
        var cases = new List<(string Name, SessionFormat Format, byte[] Data)>
        {
            ("msgpack fixarray under an unknown Counter key", SessionFormat.MessagePack, Concat(new byte[] { 0x81, 0xa1, (byte)'z' }, Repeat(new byte[] { 0x91 }, depth), new byte[] { 0xc0 })),
            ("msgpack fixmap under an unknown Counter key", SessionFormat.MessagePack, Concat(new byte[] { 0x81, 0xa1, (byte)'z' }, Repeat(new byte[] { 0x81, 0xa1, (byte)'a' }, depth), new byte[] { 0xc0 })),
            ("msgpack fixarray at the root", SessionFormat.MessagePack, Concat(Repeat(new byte[] { 0x91 }, depth), new byte[] { 0xc0 })),
            ("msgpack map at the root", SessionFormat.MessagePack, Concat(Repeat(new byte[] { 0x81, 0xa1, (byte)'a' }, depth), new byte[] { 0xc0 })),
            ("json arrays under an unknown key", SessionFormat.Json, Concat("{\"z\":"u8.ToArray(), Repeat("["u8.ToArray(), depth), Repeat("]"u8.ToArray(), depth), "}"u8.ToArray())),
            ("json objects at the root", SessionFormat.Json, Concat(Repeat("{\"a\":"u8.ToArray(), depth), "1"u8.ToArray(), Repeat("}"u8.ToArray(), depth))),
        };

        var results = new List<string>();
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                foreach ((string name, SessionFormat format, byte[] data) in cases)
                {
                    byte[] payload = new byte[SessionPayload.HeaderSize + data.Length];
                    payload[0] = (byte)format;
                    data.CopyTo(payload, SessionPayload.HeaderSize);
                    results.Add($"{name}: bag {TryDecode<SessionBag>(payload, format)}, counter {TryDecode<Counter>(payload, format)}");
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        foreach (string r in results) _output.WriteLine(r);
        Assert.Null(failure);
        Assert.Equal(cases.Count, results.Count);
    }

    private static byte[] Repeat(byte[] unit, int times)
    {
        byte[] result = new byte[unit.Length * times];
        for (int i = 0; i < times; i++) unit.CopyTo(result, i * unit.Length);
        return result;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
