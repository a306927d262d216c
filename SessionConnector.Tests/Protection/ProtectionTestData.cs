using System;
using System.Buffers.Binary;
using SessionConnector.Protection;

namespace SessionConnector.Tests.Protection;

internal static class ProtectionTestData
{
    public const string SessionId = "k3Vq9x_7Yd-0aBcDeFgHiJkLmNoPqRsTuVwXyZ01234";

    public static byte[] Secret(byte seed, int length = 32)
    {
        var bytes = new byte[length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(seed * 31 + i * 7 + 1);
        return bytes;
    }

    public static byte[] Payload(int length, int seed = 0)
    {
        var bytes = new byte[length];
        new Random(seed + length).NextBytes(bytes);
        return bytes;
    }

    public static uint KeyIdOf(byte[] envelope) => BinaryPrimitives.ReadUInt32BigEndian(envelope.AsSpan(EnvelopeFormat.KeyIdOffset));

    public static string SaltOf(byte[] envelope) => Convert.ToHexString(envelope, EnvelopeFormat.SaltOffset, EnvelopeFormat.SaltSize);

    public static ulong CounterOf(byte[] envelope) => BinaryPrimitives.ReadUInt64BigEndian(envelope.AsSpan(EnvelopeFormat.NonceOffset + 4));

    /// <summary>Salt and nonce together: the pair that must never repeat under one master key.</summary>
    public static string NonceIdOf(byte[] envelope) =>
        Convert.ToHexString(envelope, EnvelopeFormat.SaltOffset, EnvelopeFormat.SaltSize + EnvelopeFormat.NonceSize);
}
