using System;

namespace SessionConnector.Cli.Tests.Support;

/// <summary>Fixed key lists: the old ring, the rotated ring (old key still decrypts, new key primary), and the retired ring.</summary>
public static class TestKeys
{
    public static readonly string K1 = Convert.ToBase64String(Enumerable(1));
    public static readonly string K2 = Convert.ToBase64String(Enumerable(2));

    /// <summary>Before the rotation: key 1 only.</summary>
    public static string Old => $"*1:{K1}";

    /// <summary>Key 2 added everywhere and made primary; key 1 still decrypts.</summary>
    public static string Rotated => $"1:{K1},*2:{K2}";

    /// <summary>After the rotation: key 1 revoked (kept first: it names the records).</summary>
    public static string Retired => $"-1:{K1},*2:{K2}";

    public static SessionKeyRing Ring(string list) => SessionKeyRing.Parse(list);

    private static byte[] Enumerable(byte seed)
    {
        var key = new byte[32];
        for (int i = 0; i < key.Length; i++) key[i] = (byte)(seed * 31 + i);
        return key;
    }
}
