using System;
using System.Security.Cryptography;

namespace WebApi;

/// <summary>
/// What any encrypted login cannot avoid, for the start-up floor of scripts/bench-web.sh (WEBAPI_SESSIONS=floor): a random
/// 256-bit key and one AES-256-GCM seal of a 64-byte payload, through the same System.Security.Cryptography calls the
/// library makes (as scripts/measure-startup.sh's one-seal console app). The first call loads the crypto library.
/// </summary>
internal static class CryptoFloor
{
    public static void SealOne()
    {
        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        using var gcm = new AesGcm(key, 16);
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> plain = stackalloc byte[64];
        Span<byte> sealedBytes = stackalloc byte[64];
        Span<byte> tag = stackalloc byte[16];
        gcm.Encrypt(nonce, plain, sealedBytes, tag);
    }
}
