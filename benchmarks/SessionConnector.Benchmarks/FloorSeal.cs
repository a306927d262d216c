using System;
using System.Buffers.Binary;
using System.Security.Cryptography;
using SessionConnector.Protection;
using SessionConnector.Serialization;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Set's floor (issue 18): the session encoded exactly as Set encodes it (17-byte header + MessagePack) and sealed
/// once with AES-256-GCM into a fresh envelope-sized array (a stored record needs its own array), with a reused
/// cipher instance, a counter nonce and the envelope's associated data (22-byte header + the UTF-8 session ID).
/// Everything an encrypted Set cannot skip, and nothing else.
/// </summary>
internal sealed class FloorSeal : IDisposable
{
    private readonly AesGcm _gcm = new(Shared.FixedSecret, EnvelopeFormat.TagSize);
    private readonly byte[] _aad;
    private long _counter;

    public FloorSeal(string sessionId)
    {
        _aad = new byte[EnvelopeFormat.BoundHeaderSize + sessionId.Length];
        System.Text.Encoding.UTF8.GetBytes(sessionId, _aad.AsSpan(EnvelopeFormat.BoundHeaderSize));
    }

    public byte[] EncodeAndSeal(BenchSession value)
    {
        // One clock read, as Set's expiry takes; both expiry fields carry it, as Set writes them.
        DateTimeOffset expires = DateTimeOffset.UtcNow.AddHours(1);
        return Seal(SessionPayload.Encode(value, SessionFormat.MessagePack, expires, expires));
    }

    public byte[] Seal(ReadOnlySpan<byte> payload)
    {
        byte[] envelope = new byte[EnvelopeFormat.Overhead + payload.Length];
        Span<byte> nonce = envelope.AsSpan(EnvelopeFormat.NonceOffset, EnvelopeFormat.NonceSize);
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], ++_counter);
        _gcm.Encrypt(nonce, payload, envelope.AsSpan(EnvelopeFormat.HeaderSize, payload.Length), envelope.AsSpan(EnvelopeFormat.HeaderSize + payload.Length), _aad);
        return envelope;
    }

    public void Dispose() => _gcm.Dispose();
}
