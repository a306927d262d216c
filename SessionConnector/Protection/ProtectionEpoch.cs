using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading;

namespace SessionConnector.Protection;

/// <summary>
/// One encryption epoch: subkey = HKDF-SHA256(master key, salt, info || keyId), with a pool of <see cref="AesGcm"/>
/// instances for it. The writing protector draws nonces from <see cref="NextCounter"/>; readers use the same type to
/// cache the subkeys of epochs they have seen.
/// </summary>
internal sealed class ProtectionEpoch : IDisposable
{
    private static ReadOnlySpan<byte> SubkeyInfo => "SessionConnector/v1/envelope-subkey"u8;

    private readonly byte[] _subkey = new byte[32];
    private readonly byte[] _salt;
    private readonly InstancePool<AesGcm> _pool;
    private long _counter;

    // Counters a thread reserved from _counter and has not used yet. One reference per thread (not three fields): a single
    // thread-local access per seal.
    [ThreadStatic]
    private static NonceBlock? t_block;

    /// <summary>Counters reserved per trip to the shared counter: every seal of a busy thread writes its own line, not the epoch's.</summary>
    internal const int BlockSize = 64;

    public ProtectionEpoch(uint keyId, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> salt)
    {
        KeyId = keyId;
        _salt = salt.ToArray();
        Id = new EpochId(keyId, salt);
        Span<byte> info = stackalloc byte[SubkeyInfo.Length + 4];
        SubkeyInfo.CopyTo(info);
        BinaryPrimitives.WriteUInt32BigEndian(info[SubkeyInfo.Length..], keyId);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, _subkey, salt, info);
        _pool = new InstancePool<AesGcm>(() => new AesGcm(_subkey, EnvelopeFormat.TagSize));
    }

    /// <summary>A new epoch with a fresh random salt.</summary>
    public static ProtectionEpoch CreateRandom(uint keyId, ReadOnlySpan<byte> masterKey)
    {
        // CSPRNG output hashed with both clocks: two copies of one restored snapshot whose user-space generator state was
        // captured with it still draw different salts, because they cannot start at the same 100 ns tick on both clocks.
        Span<byte> seed = stackalloc byte[48];
        RandomNumberGenerator.Fill(seed[..32]);
        BinaryPrimitives.WriteInt64LittleEndian(seed[32..], DateTime.UtcNow.Ticks);
        BinaryPrimitives.WriteInt64LittleEndian(seed[40..], Stopwatch.GetTimestamp());
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(seed, hash);
        return new ProtectionEpoch(keyId, masterKey, hash[..EnvelopeFormat.SaltSize]);
    }

    public uint KeyId { get; }

    public EpochId Id { get; }

    public ReadOnlySpan<byte> Salt => _salt;

    /// <summary>Wall minus monotonic clock when a writer started this epoch (see <see cref="SessionProtector"/>).</summary>
    public long ClockOffset { get; set; }

    /// <summary>Counters reserved so far, by every thread, in blocks (may exceed the epoch size by a block per racing writer).</summary>
    public long IssuedCount => Volatile.Read(ref _counter);

    /// <summary>
    /// The next nonce counter of this epoch, starting at 1, never handed out twice: each thread takes a block of
    /// <see cref="BlockSize"/> counters with one atomic add (blocks never overlap) and hands them out in order. Counters
    /// left in a block when its thread moves to another epoch are burnt, never used; nonces must be unique, not dense.
    /// </summary>
    public long NextCounter()
    {
        NonceBlock? block = t_block;
        if (block is not null && ReferenceEquals(block.Epoch, this) && block.Next < block.End) return ++block.Next;
        return NextBlock(block);
    }

    private long NextBlock(NonceBlock? block)
    {
        long end = Interlocked.Add(ref _counter, BlockSize);
        Internal.Contention.Count(ref Internal.Contention.NonceBlocks);
        // The block object is reused across epochs; it keeps only the epoch this thread sealed with last reachable.
        if (block is null) t_block = block = new NonceBlock();
        block.Epoch = this;
        block.End = end;
        block.Next = end - BlockSize + 1;
        return block.Next;
    }

    /// <summary>A thread's reserved counters: (Next, End] are still free, Next was the last handed out.</summary>
    private sealed class NonceBlock
    {
        public ProtectionEpoch? Epoch;
        public long Next;
        public long End;
    }

    public AesGcm Rent() => _pool.Rent();

    public void Return(AesGcm gcm) => _pool.Return(gcm);

    public void Dispose()
    {
        _pool.Dispose();
        CryptographicOperations.ZeroMemory(_subkey);
    }
}

/// <summary>Identifies an epoch by key id and salt; the key of the decryption subkey cache.</summary>
internal readonly struct EpochId : IEquatable<EpochId>
{
    private readonly uint _keyId;
    private readonly ulong _salt0, _salt1;

    public EpochId(uint keyId, ReadOnlySpan<byte> salt)
    {
        _keyId = keyId;
        _salt0 = BinaryPrimitives.ReadUInt64LittleEndian(salt);
        _salt1 = BinaryPrimitives.ReadUInt64LittleEndian(salt[8..]);
    }

    public bool Equals(EpochId other) => _keyId == other._keyId && _salt0 == other._salt0 && _salt1 == other._salt1;

    public override bool Equals(object? obj) => obj is EpochId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_keyId, _salt0, _salt1);
}
