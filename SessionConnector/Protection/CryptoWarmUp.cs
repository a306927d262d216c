using System;
using System.Security.Cryptography;
using System.Threading;

namespace SessionConnector.Protection;

/// <summary>
/// Loads and initialises the platform's crypto library on a second thread while the caller goes on with work that needs
/// no crypto (building a web host; see <see cref="SessionStorageConnector.PrepareCrypto"/>).
/// </summary>
/// <remarks>
/// On Linux the first cryptographic call of a process loads OpenSSL (libssl, libcrypto, openssl.cnf), seeds its random
/// generator and fetches its ciphers: most of an encrypted app's start-up (scripts/measure-startup.sh's one-seal
/// reference app). The connector needs all of it (a hash to name the development key, HKDF, random IDs, HMAC names,
/// AES-GCM for the first write). Whichever thread makes a call first does the load; a call on the other thread meanwhile
/// waits for that load (the runtime's type initialisers and OpenSSL's own once-only set-up), never loads twice, so the
/// start-up path pays only what is left of the load when it first needs crypto. Nothing is kept: the key is random and
/// thrown away. On one core there is nothing to overlap with, so nothing is started: a second thread would only add its
/// own creation and context switches to the same serial work. Not started by the connector or ConfigureDefault: starting
/// it (then: the timer thread, the imports, Thread.Start, which waits until the thread runs) cost ~1.7 ms here, more than a
/// console app's store open and connector set-up can overlap: with the loader-lock waits gone, ConfigureDefault with the
/// warm-up was still 1.04–1.09× the same probe without it in three quiet paired runs (benchmarks/ANALYSIS.md, issue 27).
/// </remarks>
internal static class CryptoWarmUp
{
    private static int s_started;
    private static int s_finished;

    /// <summary>How many warm-ups ran to their end in this process (tests: at most one).</summary>
    internal static int FinishedCount => Volatile.Read(ref s_finished);

    /// <summary>Starts the warm-up once per process (later calls return at once); does nothing on a single core.</summary>
    public static void Start()
    {
        // Environment.ProcessorCount honours the affinity mask (taskset) and container CPU limits.
        if (Environment.ProcessorCount < 2 || Volatile.Read(ref s_started) != 0) return;
        if (Interlocked.Exchange(ref s_started, 1) != 0) return;
        // A dedicated thread, not the thread pool: a console app has not started the pool yet, and starting it costs more
        // than one thread. UnsafeStart: no execution context to capture for a job that touches no app state.
        var thread = new Thread(static () => Run()) { IsBackground = true, Name = "SessionConnector crypto warm-up" };
        thread.UnsafeStart();
    }

    private static void Run()
    {
        // Before the load, on this thread: while glibc's dlopen maps and relocates libssl/libcrypto it holds the loader
        // lock, and both binding a C import (dlsym) and creating a thread (pthread_create sets up its TLS under that lock)
        // wait for it. So the C imports a file store needs are bound first (LibC.BindImports), and the runtime's timer
        // thread, which the first armed timer starts (the app's own, a web host's; a file store arms its sweep only an
        // interval after its open), is started first by arming one that never fires. Otherwise a store opened meanwhile
        // waited for the load (strace; phases "-warm": store open 1.6 -> 6.1 ms). Here, not in Start: the caller's thread
        // then pays one thread start instead of two
        // (Thread.Start spins until the new thread runs) plus the bindings; a caller that needs an import or a timer before
        // this thread gets there binds or starts it itself, before any load has begun.
        try
        {
            Storage.Files.LibC.BindImports();
            using (new Timer(static _ => { }, null, TimeSpan.FromDays(1), Timeout.InfiniteTimeSpan)) { }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            // Only a head start: the store binds its imports itself on first use and reports any failure there.
        }

        try
        {
            Span<byte> key = stackalloc byte[32];
            RandomNumberGenerator.Fill(key);                                          // the random generator (IDs, salts)
            Span<byte> derived = stackalloc byte[32];
            HKDF.DeriveKey(HashAlgorithmName.SHA256, key, derived, key, default);   // key derivation (and SHA-256)
            Span<byte> name = stackalloc byte[32];
            HMACSHA256.HashData(derived, key, name);                                  // storage-key names
            if (AesGcm.IsSupported)
            {
                using var aes = new AesGcm(key, 16);                                  // the record seal
                Span<byte> nonce = stackalloc byte[12];
                Span<byte> sealedBytes = stackalloc byte[32];
                Span<byte> tag = stackalloc byte[16];
                aes.Encrypt(nonce, name, sealedBytes, tag);
            }
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException or TypeInitializationException or DllNotFoundException)
        {
            // Only a head start: the connector makes the same calls itself and reports any failure there.
        }

        Interlocked.Increment(ref s_finished);
    }
}
