using System;
using System.Security.Cryptography;
using System.Threading;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>
/// Loads and initialises the platform's crypto library on a thread-pool thread while the host is still being built.
/// </summary>
/// <remarks>
/// On Linux the first cryptographic call of a process loads OpenSSL (libssl, libcrypto, openssl.cnf), seeds its random
/// generator and builds its cipher tables: about 3 ms, measured by scripts/measure-startup.sh's one-seal reference app.
/// The connector needs all of it (HKDF when it is built, random IDs, HMAC names, AES-GCM for the first write), so without
/// this the whole cost sits on the start-up path, between <c>Build()</c> and the first session response. Started from
/// <c>AddSessionConnector</c>, it overlaps with building the host and starting Kestrel on another core; the connector's
/// own first call then finds the library loaded (or waits for the load already under way, never loads it twice). Nothing
/// here is kept: the key is random and thrown away, and no session state is touched.
/// </remarks>
internal static class CryptoWarmUp
{
    private static int s_started;

    public static void Start()
    {
        if (Interlocked.Exchange(ref s_started, 1) != 0) return;
        ThreadPool.UnsafeQueueUserWorkItem(static _ => Run(), null);
    }

    private static void Run()
    {
        try
        {
            Span<byte> key = stackalloc byte[32];
            RandomNumberGenerator.Fill(key);                          // the random generator (session IDs, nonce salts)
            Span<byte> derived = stackalloc byte[32];
            HKDF.DeriveKey(HashAlgorithmName.SHA256, key, derived, key, default); // key ring derivation
            Span<byte> name = stackalloc byte[32];
            HMACSHA256.HashData(derived, key, name);                  // storage-key names
            if (!AesGcm.IsSupported) return;
            using var aes = new AesGcm(key, 16);                      // the record seal
            Span<byte> nonce = stackalloc byte[12];
            Span<byte> sealedBytes = stackalloc byte[32];
            Span<byte> tag = stackalloc byte[16];
            aes.Encrypt(nonce, name, sealedBytes, tag);
        }
        catch (CryptographicException)
        {
            // Only a head start: the connector makes the same calls itself and reports any failure there.
        }
        catch (PlatformNotSupportedException)
        {
        }
    }
}
