using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using SessionConnector.Protection;
using SessionConnector.Sealing;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Issue 25: the per-request cost of a sealed-cookie session, open (parse the Cookie header, join the chunks, decode
/// base64url, authenticate and decrypt, decode) plus seal (encode, encrypt, base64url, split, render the Set-Cookie
/// lines), against the raw AES-GCM floor: one decrypt and one encrypt of the same payload with a reused cipher, into
/// fresh arrays. No store: the function case (no storage I/O on the request path).
/// </summary>
[BenchmarkCategory("8-Sealed")]
[Comparison("8. Sealed cookie open + seal, 1 KB and 3 KB",
    "Raw AesGcm: one reused instance, decrypt then encrypt of the same payload size with a 64-byte AAD, two fresh output arrays. The 3 KB session takes two cookies.")]
public class SealedCookieBenchmarks
{
    private SessionKeyRing _ring = null!;
    private SessionSealer _sealer = null!;
    private string _header = "";
    private AesGcm _gcm = null!;
    private byte[] _payload = [];
    private byte[] _ciphertext = [];
    private byte[] _tag = new byte[16];
    private byte[] _aad = new byte[64];
    private long _counter;
    private long _visits;

    /// <summary>The session's size, in bytes of data.</summary>
    [Params(1024, 3072)]
    public int SessionBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ring = Shared.Keys();
        _sealer = new SessionSealer(new SessionSealerOptions { Keys = _ring, Purpose = "bench/sealed", CookieName = "s" });
        SealedSession<SessionBag> s = _sealer.Open<SessionBag>(null);
        byte[] data = new byte[SessionBytes];
        new Random(SessionBytes).NextBytes(data);
        s.Data["data"] = data;
        s.Data["visits"] = 0L;
        _header = Header(_sealer.Seal(s));

        _gcm = new AesGcm(Shared.FixedSecret, 16);
        _payload = data;
        _ciphertext = new byte[data.Length];
        byte[] nonce = new byte[12];
        _gcm.Encrypt(nonce, _payload, _ciphertext, _tag, _aad);
        if (OpenAndSeal().Count == 0 || RawAesGcm().Length != _payload.Length) throw new InvalidOperationException("A contender did not run.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sealer.Dispose();
        _ring.Dispose();
        _gcm.Dispose();
    }

    [Benchmark(Baseline = true)]
    public byte[] RawAesGcm()
    {
        Span<byte> nonce = stackalloc byte[12];
        byte[] plain = new byte[_ciphertext.Length];
        _gcm.Decrypt(nonce, _ciphertext, _tag, plain, _aad);
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], ++_counter);
        byte[] sealedBytes = new byte[plain.Length + 16];
        _gcm.Encrypt(nonce, plain, sealedBytes.AsSpan(0, plain.Length), sealedBytes.AsSpan(plain.Length), _aad);
        return plain;
    }

    [Benchmark]
    public IReadOnlyList<SealedCookie> OpenAndSeal()
    {
        SealedSession<SessionBag> s = _sealer.Open<SessionBag>(_header);
        s.Data["visits"] = ++_visits;
        return _sealer.Seal(s);
    }

    private static string Header(IReadOnlyList<SealedCookie> cookies)
    {
        var parts = new List<string>(cookies.Count);
        foreach (SealedCookie c in cookies) parts.Add(c.Name + "=" + c.Value);
        return string.Join("; ", parts);
    }
}
