using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Protection;
using Xunit;
using static SessionConnector.Tests.Protection.ProtectionTestData;

namespace SessionConnector.Tests.Protection;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProtectionSoakCollection
{
    public const string Name = "Protection soak";
}

/// <summary>Soak tests for <see cref="SessionProtector"/>: they assert integrity invariants once all threads finish.</summary>
[Collection(ProtectionSoakCollection.Name)]
public sealed class SessionProtectorConcurrencyTests
{
    private const int Threads = 8;
    private const int PerThread = 2_000;

    [Theory]
    [InlineData(SessionProtector.DefaultEpochSize)]
    [InlineData(97L)] // forces many roll-overs while writers race
    public void ConcurrentProtectAndUnprotectRoundTripWithDistinctNonces(long epochSize)
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring, epochSize, SessionProtector.DefaultEpochCacheCapacity);
        var nonces = new ConcurrentDictionary<string, int>();
        var envelopes = new ConcurrentBag<(string Id, int Seed, byte[] Envelope)>();
        int failures = 0;
        using var start = new Barrier(Threads);

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            start.SignalAndWait();
            for (int i = 0; i < PerThread; i++)
            {
                string id = $"session-{thread}-{i % 17}";
                int seed = thread * PerThread + i;
                byte[] plaintext = Payload(i % 300, seed);
                byte[] envelope = protector.Protect(id, 1, plaintext);
                if (!nonces.TryAdd(NonceIdOf(envelope), seed)) Interlocked.Increment(ref failures);
                if (!protector.TryUnprotect(id, 1, envelope, out byte[]? back, out _) || !back.AsSpan().SequenceEqual(plaintext))
                {
                    Interlocked.Increment(ref failures);
                }
                if (i % 50 == 0) envelopes.Add((id, seed, envelope));
            }
        });

        Assert.Equal(0, failures);
        Assert.Equal(Threads * PerThread, nonces.Count);
        // A reader that never saw these epochs derives every subkey from the envelope alone.
        using var reader = new SessionProtector(ring);
        foreach ((string id, int seed, byte[] envelope) in envelopes)
        {
            Assert.True(reader.TryUnprotect(id, 1, envelope, out byte[]? plaintext, out _));
            Assert.Equal(Payload(plaintext.Length, seed), plaintext);
        }
        if (epochSize < PerThread)
        {
            Assert.True(nonces.Keys.Select(k => k[..32]).Distinct().Count() >= Threads * PerThread / epochSize);
        }
    }

    [Fact]
    public void ConcurrentStorageKeysMatchTheSingleThreadedResult()
    {
        using var ring = SessionKeyRing.FromSecret(Secret(1));
        using var protector = new SessionProtector(ring);
        string[] ids = Enumerable.Range(0, 64).Select(i => $"id-{i}").ToArray();
        string[] expected = ids.Select(protector.DeriveStorageKey).ToArray();
        int mismatches = 0;

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                int k = (i * 7 + thread) % ids.Length;
                if (protector.DeriveStorageKey(ids[k]) != expected[k]) Interlocked.Increment(ref mismatches);
            }
        });

        Assert.Equal(0, mismatches);
        Assert.Equal(ids.Length, expected.Distinct().Count());
    }

    [Fact]
    public void RotationWhileWritingNeverLosesARecord()
    {
        using var ring = new SessionKeyRing().AddKey(1, Secret(1));
        using var protector = new SessionProtector(ring);
        var written = new ConcurrentBag<(int Seed, byte[] Envelope)>();
        using var rotated = new ManualResetEventSlim();

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            for (int i = 0; i < PerThread / 4; i++)
            {
                if (thread == 0 && i == PerThread / 8)
                {
                    ring.AddKey(2, Secret(2), primary: true);
                    rotated.Set();
                }
                int seed = thread * PerThread + i;
                written.Add((seed, protector.Protect(SessionId, 1, Payload(32, seed))));
            }
        });

        Assert.True(rotated.IsSet);
        Assert.Contains(written, w => KeyIdOf(w.Envelope) == 2);
        Assert.Equal(2u, KeyIdOf(protector.Protect(SessionId, 1, Payload(1))));
        foreach ((int seed, byte[] envelope) in written)
        {
            Assert.True(protector.TryUnprotect(SessionId, 1, envelope, out byte[]? plaintext, out bool usedOldKey));
            Assert.Equal(Payload(32, seed), plaintext);
            Assert.Equal(KeyIdOf(envelope) == 1, usedOldKey);
        }
    }
}
