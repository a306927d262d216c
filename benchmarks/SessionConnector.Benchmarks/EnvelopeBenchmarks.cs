using System;
using System.Buffers.Binary;
using System.IO;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.DataProtection;
using SessionConnector.Protection;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Comparison 4: protect + unprotect of a 200-byte value. SessionProtector (AES-256-GCM envelope bound to the session
/// ID) vs ASP.NET Core Data Protection (AES-256-CBC + HMACSHA256 by default) vs a raw, reused <see cref="AesGcm"/>
/// doing the same encrypt + decrypt with the same AAD size and allocating the same two output arrays.
/// </summary>
[BenchmarkCategory(Categories.Envelope)]
[Comparison("4. Envelope protect + unprotect, 200 B",
    "Raw AesGcm: one reused instance, counter nonce, same AAD size (22 + 43 B), allocating the same two output arrays.")]
public class EnvelopeBenchmarks
{
    private byte[] _plaintext = [];
    private string _id = "";
    private SessionKeyRing _ring = null!;
    private SessionProtector _protector = null!;
    private IDataProtector _dataProtector = null!;
    private AesGcm _gcm = null!;
    private byte[] _aad = [];
    private long _counter;
    private string _keyDirectory = "";

    [GlobalSetup]
    public void Setup()
    {
        _plaintext = new byte[200];
        new Random(3).NextBytes(_plaintext);
        _id = Shared.SessionIds(1)[0];
        _ring = Shared.Keys();
        _protector = new SessionProtector(_ring);
        _keyDirectory = Shared.ScratchDirectory("dataprotection-keys");
        _dataProtector = DataProtectionProvider.Create(new DirectoryInfo(_keyDirectory)).CreateProtector("SessionConnector.Benchmarks");
        _gcm = new AesGcm(Shared.FixedSecret, 16);
        _aad = new byte[22 + _id.Length];

        if (!_protector.TryUnprotect(_id, 1, _protector.Protect(_id, 1, _plaintext), out byte[]? back, out _) || !back.AsSpan().SequenceEqual(_plaintext)
            || !_dataProtector.Unprotect(_dataProtector.Protect(_plaintext)).AsSpan().SequenceEqual(_plaintext)
            || !RawAesGcm().AsSpan().SequenceEqual(_plaintext))
        {
            throw new InvalidOperationException("A contender did not round-trip.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _protector.Dispose();
        _ring.Dispose();
        _gcm.Dispose();
        try { Directory.Delete(_keyDirectory, recursive: true); } catch (IOException) { }
    }

    [Benchmark(Baseline = true)]
    public byte[] DataProtection() => _dataProtector.Unprotect(_dataProtector.Protect(_plaintext));

    [Benchmark]
    [Target("≤ 0.25×", Note = "≥ 4× faster than Data Protection")]
    [Target("≤ 1.5×", Versus = nameof(RawAesGcm))]
    public byte[]? SessionProtector()
    {
        byte[] envelope = _protector.Protect(_id, 1, _plaintext);
        _protector.TryUnprotect(_id, 1, envelope, out byte[]? plaintext, out _);
        return plaintext;
    }

    [Benchmark]
    public byte[] RawAesGcm()
    {
        byte[] sealedBytes = new byte[12 + _plaintext.Length + 16];
        Span<byte> nonce = sealedBytes.AsSpan(0, 12);
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], ++_counter);
        _gcm.Encrypt(nonce, _plaintext, sealedBytes.AsSpan(12, _plaintext.Length), sealedBytes.AsSpan(12 + _plaintext.Length), _aad);
        byte[] output = new byte[_plaintext.Length];
        _gcm.Decrypt(nonce, sealedBytes.AsSpan(12, _plaintext.Length), sealedBytes.AsSpan(12 + _plaintext.Length), output, _aad);
        return output;
    }
}
