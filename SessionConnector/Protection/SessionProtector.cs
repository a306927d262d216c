using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Unicode;
using System.Threading;
using SessionConnector.Internal;

namespace SessionConnector.Protection;

/// <summary>
/// Encrypts every value before it reaches storage (AES-256-GCM envelopes, docs/envelope-format.md) and names records
/// by a keyed hash of the session ID.
/// </summary>
/// <remarks>
/// Encryption uses per-epoch subkeys: the protector picks a random 128-bit salt, derives
/// subkey = HKDF-SHA256(primary master key, salt, info || keyId) once, and then numbers nonces with an atomic counter.
/// After <see cref="EpochSize"/> payloads (or when the primary key changes) it starts a new epoch with a new salt.
/// Readers derive the same subkey from the salt in the envelope and cache it, so the hot path is a pooled
/// <see cref="AesGcm"/> call plus the output array. All members are thread-safe.
/// A restored memory snapshot would replay the counter of the epoch it captured, so a new epoch also starts on
/// <see cref="StartNewEpoch"/> and when the wall clock jumps against the monotonic clock (what a restore looks like).
/// Dispose only after the connector has stopped using the protector: calls racing with Dispose fail (closed).
/// </remarks>
internal sealed class SessionProtector : IDisposable
{
    /// <summary>Payloads per epoch before a new salt (and subkey) is drawn. See docs/envelope-format.md for the bound.</summary>
    internal const long DefaultEpochSize = 1L << 32;

    /// <summary>How many (keyId, salt) subkeys readers keep; most traffic comes from a few live epochs.</summary>
    internal const int DefaultEpochCacheCapacity = 128;

    /// <summary>A wall-clock jump against the monotonic clock larger than this starts a new epoch (a restore, a VM clone).</summary>
    internal static readonly long ClockJumpTicks = TimeSpan.FromSeconds(2).Ticks;

    private static ReadOnlySpan<byte> NamingInfo => "SessionConnector/v1/storage-name"u8;

    private readonly SessionKeyRing _ring;
    private readonly TimeProvider _clock;
    private readonly long _epochSize;
    private readonly int _epochCacheCapacity;
    // The naming key is derived on first use, not at construction: the derivation is the connector's first call into the
    // crypto library, and a web app builds its connector while that library is still loading on the warm-up thread
    // (PrepareCrypto), so deriving here made start-up wait for the load instead of letting the server start beside it.
    // The secret is copied at construction (the ring may be disposed by its owner meanwhile) and zeroed once derived.
    private readonly byte[] _namingSecret;
    private readonly byte[] _namingKey = new byte[32];
    // Written once under _rollGate after _namingKey is filled; read without a lock by the pool's factory.
    private volatile bool _namingKeyReady;
    private readonly InstancePool<IncrementalHash> _hmacs;
    // Lock-free reads on the decrypt path; writes happen once per new epoch.
    private readonly ConcurrentDictionary<EpochId, ProtectionEpoch> _epochs = new();
    private readonly object _rollGate = new();
    // Read without a lock on every Protect; replaced under _rollGate, published with a volatile write.
    private ProtectionEpoch? _current;
    private volatile bool _disposed;

    /// <summary>
    /// Creates a protector over <paramref name="ring"/>. The naming key is fixed at construction (from the ring's naming
    /// secret as it is now) and derived at the first <see cref="DeriveStorageKey"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ring holds no key.</exception>
    /// <exception cref="ObjectDisposedException">The ring is disposed.</exception>
    /// <param name="ring">The keys.</param>
    /// <param name="clock">The wall clock compared with the monotonic clock to detect a snapshot restore (default: system).</param>
    public SessionProtector(SessionKeyRing ring, TimeProvider? clock = null)
        : this(ring, DefaultEpochSize, DefaultEpochCacheCapacity, clock)
    {
    }

    /// <summary>Test seam: a small <paramref name="epochSize"/> forces epoch roll-overs.</summary>
    internal SessionProtector(SessionKeyRing ring, long epochSize, int epochCacheCapacity, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochCacheCapacity, 1);
        _ring = ring;
        _clock = clock ?? TimeProvider.System;
        _epochSize = epochSize;
        _epochCacheCapacity = epochCacheCapacity;
        _namingSecret = (byte[])ring.GetNamingSecret().Clone();
        // Only when the pool is empty (the first call, or more callers at once than pooled hashes): the hot path never checks.
        _hmacs = new InstancePool<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, NamingKey()));
    }

    /// <summary>True once the naming key has been derived (tests: it is not at construction).</summary>
    internal bool IsNamingKeyDerived => _namingKeyReady;

    /// <summary>The naming key, derived from the copied secret on the first call.</summary>
    private byte[] NamingKey()
    {
        if (_namingKeyReady) return _namingKey;
        lock (_rollGate)
        {
            // Under the lock Dispose takes: a derivation racing with Dispose either finishes before the zeroing or fails.
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_namingKeyReady)
            {
                HKDF.DeriveKey(HashAlgorithmName.SHA256, _namingSecret, _namingKey, salt: default, info: NamingInfo);
                CryptographicOperations.ZeroMemory(_namingSecret);
                _namingKeyReady = true;
            }
        }
        return _namingKey;
    }

    /// <summary>Payloads encrypted under one epoch subkey before a new one is derived.</summary>
    internal long EpochSize => _epochSize;

    /// <summary>Subkeys currently cached (for tests and diagnostics).</summary>
    internal int CachedEpochCount => _epochs.Count;

    /// <summary>The ring this protector seals and opens with.</summary>
    public SessionKeyRing Ring => _ring;

    /// <summary>The storage key of a session: base64url(HMAC-SHA256(naming key, UTF-8 id)), 43 characters.</summary>
    /// <exception cref="ArgumentException">The ID is not valid UTF-16.</exception>
    public string DeriveStorageKey(string sessionId)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[]? rented = null;
        Span<byte> buffer = sessionId.Length <= EnvelopeFormat.StackIdChars
            ? stackalloc byte[sessionId.Length * 3]
            : (rented = ArrayPool<byte>.Shared.Rent(sessionId.Length * 3));
        try
        {
            if (Utf8.FromUtf16(sessionId, buffer, out _, out int length, replaceInvalidSequences: false) != OperationStatus.Done)
            {
                throw new ArgumentException("The session ID is not valid UTF-16.", nameof(sessionId));
            }
            Span<byte> mac = stackalloc byte[32];
            IncrementalHash hmac = _hmacs.Rent();
            try
            {
                hmac.AppendData(buffer[..length]);
                hmac.GetHashAndReset(mac);
            }
            catch
            {
                // Never return a hash with half-appended state to the pool.
                hmac.Dispose();
                throw;
            }
            _hmacs.Return(hmac);
            return Internal.Base64Url.Encode(mac);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> for <paramref name="sessionId"/> at storage version
    /// <paramref name="recordVersion"/> under the primary key.
    /// </summary>
    /// <returns>A new envelope of <c>plaintext.Length + 50</c> bytes.</returns>
    /// <exception cref="ArgumentException">The ID is not valid UTF-16.</exception>
    public byte[] Protect(string sessionId, long recordVersion, ReadOnlySpan<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ProtectionEpoch epoch = NextNonce(out long counter);

        byte[] envelope = new byte[EnvelopeFormat.Overhead + plaintext.Length];
        EnvelopeFormat.WriteHeader(envelope, epoch.KeyId, epoch.Salt, (ulong)counter);

        byte[]? rented = null;
        Span<byte> aadBuffer = sessionId.Length <= EnvelopeFormat.StackIdChars
            ? stackalloc byte[EnvelopeFormat.AadPrefixSize + sessionId.Length * 3]
            : (rented = ArrayPool<byte>.Shared.Rent(EnvelopeFormat.AadPrefixSize + sessionId.Length * 3));
        try
        {
            if (!TryBuildAad(envelope, recordVersion, sessionId, aadBuffer, out int aadLength))
            {
                throw new ArgumentException("The session ID is not valid UTF-16.", nameof(sessionId));
            }
            AesGcm gcm = epoch.Rent();
            try
            {
                gcm.Encrypt(
                    envelope.AsSpan(EnvelopeFormat.NonceOffset, EnvelopeFormat.NonceSize),
                    plaintext,
                    envelope.AsSpan(EnvelopeFormat.HeaderSize, plaintext.Length),
                    envelope.AsSpan(EnvelopeFormat.HeaderSize + plaintext.Length, EnvelopeFormat.TagSize),
                    aadBuffer[..aadLength]);
            }
            finally
            {
                epoch.Return(gcm);
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }

        // A Dispose racing this call may have zeroed the subkey under us; never hand out such an envelope.
        // The full fence orders our key reads before the flag read (an acquire alone would not on ARM).
        Interlocked.MemoryBarrier();
        ObjectDisposedException.ThrowIf(_disposed, this);
        // A rotation plus revocation may have landed between choosing the epoch and encrypting; such a record would be
        // unreadable, so write it again under the new primary (the primary itself can never be revoked).
        if (_ring.GetKey(epoch.KeyId) is null) return Protect(sessionId, recordVersion, plaintext);
        return envelope;
    }

    /// <summary>
    /// Decrypts an envelope written for <paramref name="sessionId"/> at <paramref name="recordVersion"/>. Returns false —
    /// never throws — for anything that does not authenticate: wrong magic or version, unknown or revoked key, truncated or
    /// altered bytes, another session's envelope, a record whose storage version was edited.
    /// </summary>
    /// <param name="sessionId">The session the record is read for; part of the associated data.</param>
    /// <param name="recordVersion">The version storage holds the record at; part of the associated data.</param>
    /// <param name="envelope">The stored record.</param>
    /// <param name="plaintext">The decrypted value when the method returns true.</param>
    /// <param name="usedOldKey">True when the record was encrypted under a key other than the current primary.</param>
    public bool TryUnprotect(string sessionId, long recordVersion, ReadOnlySpan<byte> envelope, [NotNullWhen(true)] out byte[]? plaintext, out bool usedOldKey)
    {
        plaintext = null;
        usedOldKey = false;
        int length = PlaintextLength(envelope);
        if (length < 0) return false;
        byte[] output = new byte[length];
        if (!TryUnprotect(sessionId, recordVersion, envelope, output, out usedOldKey)) return false;
        plaintext = output;
        return true;
    }

    /// <summary>The plaintext length of <paramref name="envelope"/>, or -1 when it is too short to be one.</summary>
    public static int PlaintextLength(ReadOnlySpan<byte> envelope) =>
        envelope.Length < EnvelopeFormat.Overhead ? -1 : envelope.Length - EnvelopeFormat.Overhead;

    /// <summary>
    /// <see cref="TryUnprotect(string, long, ReadOnlySpan{byte}, out byte[], out bool)"/> into a buffer of the caller's
    /// (at least <see cref="PlaintextLength"/> bytes; the plaintext is its first that many), so a reader that only decodes
    /// the plaintext can use a pooled one instead of a new array per read. On false the buffer's contents are undefined.
    /// </summary>
    public bool TryUnprotect(string sessionId, long recordVersion, ReadOnlySpan<byte> envelope, Span<byte> plaintext, out bool usedOldKey)
    {
        usedOldKey = false;
        if (sessionId is null || _disposed) return false;
        if (envelope.Length < EnvelopeFormat.Overhead
            || envelope[EnvelopeFormat.MagicOffset] != EnvelopeFormat.Magic
            || envelope[EnvelopeFormat.VersionOffset] != EnvelopeFormat.Version)
        {
            return false;
        }
        uint keyId = BinaryPrimitives.ReadUInt32BigEndian(envelope[EnvelopeFormat.KeyIdOffset..]);
        // Checked on every call, before the subkey cache, so a revocation takes effect immediately.
        byte[]? masterKey = _ring.GetKey(keyId);
        if (masterKey is null) return false;

        byte[]? rented = null;
        Span<byte> aadBuffer = sessionId.Length <= EnvelopeFormat.StackIdChars
            ? stackalloc byte[EnvelopeFormat.AadPrefixSize + sessionId.Length * 3]
            : (rented = ArrayPool<byte>.Shared.Rent(EnvelopeFormat.AadPrefixSize + sessionId.Length * 3));
        ProtectionEpoch? fresh = null;
        try
        {
            if (!TryBuildAad(envelope, recordVersion, sessionId, aadBuffer, out int aadLength)) return false;
            ReadOnlySpan<byte> salt = envelope.Slice(EnvelopeFormat.SaltOffset, EnvelopeFormat.SaltSize);
            if (!_epochs.TryGetValue(new EpochId(keyId, salt), out ProtectionEpoch? epoch))
            {
                // Derived but not cached until the envelope authenticates, so garbage cannot fill the cache.
                epoch = fresh = new ProtectionEpoch(keyId, masterKey, salt);
            }

            int length = envelope.Length - EnvelopeFormat.Overhead;
            if (plaintext.Length < length) return false;
            AesGcm gcm = epoch.Rent();
            try
            {
                gcm.Decrypt(
                    envelope.Slice(EnvelopeFormat.NonceOffset, EnvelopeFormat.NonceSize),
                    envelope.Slice(EnvelopeFormat.HeaderSize, length),
                    envelope.Slice(EnvelopeFormat.HeaderSize + length, EnvelopeFormat.TagSize),
                    plaintext[..length],
                    aadBuffer[..aadLength]);
            }
            finally
            {
                epoch.Return(gcm);
            }

            if (fresh is not null)
            {
                if (AddEpoch(fresh) == fresh) fresh = null; // now owned by the cache
            }
            usedOldKey = keyId != _ring.PrimaryKeyId;
            return true;
        }
        catch (CryptographicException)
        {
            // Tag mismatch (AuthenticationTagMismatchException) or any other crypto failure: reject.
            return false;
        }
        catch (ObjectDisposedException)
        {
            // The protector was disposed concurrently; fail closed.
            return false;
        }
        catch (InvalidOperationException)
        {
            // The ring was disposed concurrently (no primary); fail closed.
            return false;
        }
        finally
        {
            fresh?.Dispose();
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// True when <paramref name="envelope"/> is well formed but sealed under a key id this ring has never held — most likely
    /// a newer key another node already uses during a rolling key deployment. Such a record reads as absent but must not be
    /// deleted, or one node that is behind would log out everyone the up-to-date nodes can still serve.
    /// </summary>
    public bool IsFromUnknownKey(ReadOnlySpan<byte> envelope)
    {
        if (envelope.Length < EnvelopeFormat.Overhead
            || envelope[EnvelopeFormat.MagicOffset] != EnvelopeFormat.Magic
            || envelope[EnvelopeFormat.VersionOffset] != EnvelopeFormat.Version)
        {
            return false;
        }

        return !_ring.KnowsKeyId(BinaryPrimitives.ReadUInt32BigEndian(envelope[EnvelopeFormat.KeyIdOffset..]));
    }

    /// <summary>
    /// Starts a new write epoch (fresh salt and subkey) now. Call it after the process was restored from a memory snapshot
    /// (serverless snapshot start, CRIU, a cloned VM): every restored copy would otherwise continue the captured epoch's
    /// nonce counter, and two copies would reuse nonces.
    /// </summary>
    public void StartNewEpoch()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Roll(Volatile.Read(ref _current));
    }

    /// <summary>Zeroes the naming key and every cached subkey and releases the pooled cipher instances.</summary>
    public void Dispose()
    {
        lock (_rollGate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (KeyValuePair<EpochId, ProtectionEpoch> entry in _epochs) entry.Value.Dispose();
            _epochs.Clear();
            _current?.Dispose();
            _current = null;
            _hmacs.Dispose();
            CryptographicOperations.ZeroMemory(_namingSecret);
            CryptographicOperations.ZeroMemory(_namingKey);
        }
    }

    /// <summary>The current write epoch and a nonce counter unique within it; rolls the epoch when needed.</summary>
    private ProtectionEpoch NextNonce(out long counter)
    {
        while (true)
        {
            // Volatile: pairs with the publishing write in Roll so the epoch's fields are seen initialised.
            ProtectionEpoch? epoch = Volatile.Read(ref _current);
            // A clock jump is what a restored snapshot looks like from inside; a needless roll costs one HKDF, a missed one
            // repeats nonces in every restored copy.
            if (epoch is not null && epoch.KeyId == _ring.PrimaryKeyId && Math.Abs(ClockOffset() - epoch.ClockOffset) <= ClockJumpTicks)
            {
                counter = epoch.NextCounter();
                // Counters past the limit are burnt, never used; the writer that sees the limit first rolls.
                if (counter <= _epochSize) return epoch;
            }
            Roll(epoch);
        }
    }

    private void Roll(ProtectionEpoch? expected)
    {
        lock (_rollGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // Another writer already rolled while we waited for the lock.
            if (!ReferenceEquals(_current, expected)) return;
            (uint keyId, byte[] masterKey) = _ring.GetPrimary();
            ProtectionEpoch next = ProtectionEpoch.CreateRandom(keyId, masterKey);
            next.ClockOffset = ClockOffset();
            // The old epoch stays in the cache: its envelopes must still decrypt.
            ProtectionEpoch cached = AddEpoch(next);
            if (!ReferenceEquals(cached, next))
            {
                // A 128-bit salt collision; astronomically unlikely, but never reuse a (subkey, counter) pair.
                next.Dispose();
                return;
            }
            Volatile.Write(ref _current, next);
        }
    }

    /// <summary>Adds an epoch to the bounded subkey cache; returns the cached instance for its id.</summary>
    private ProtectionEpoch AddEpoch(ProtectionEpoch epoch)
    {
        if (_epochs.TryGetValue(epoch.Id, out ProtectionEpoch? existing)) return existing;
        // Count takes every bucket lock, but this runs once per new epoch, not per payload.
        if (_epochs.Count >= _epochCacheCapacity)
        {
            ProtectionEpoch? current = Volatile.Read(ref _current);
            foreach (KeyValuePair<EpochId, ProtectionEpoch> entry in _epochs)
            {
                if (!ReferenceEquals(entry.Value, current))
                {
                    // Not disposed: another thread may be mid-call with it; the GC releases its ciphers.
                    _epochs.TryRemove(entry.Key, out _);
                    break;
                }
            }
        }
        return _epochs.GetOrAdd(epoch.Id, epoch);
    }

    /// <summary>Wall clock minus monotonic clock, in ticks: constant while the process runs, shifted by a restore.</summary>
    /// <remarks>
    /// The monotonic half is the coarse monotonic clock (<see cref="Environment.TickCount64"/>, milliseconds), cheaper to
    /// read than <see cref="System.Diagnostics.Stopwatch"/> on every seal; its few milliseconds of granularity are nothing
    /// against <see cref="ClockJumpTicks"/>, and it moves with a restore as the fine monotonic clock does.
    /// </remarks>
    private long ClockOffset() => _clock.GetUtcNow().UtcTicks - Environment.TickCount64 * TimeSpan.TicksPerMillisecond;

    /// <summary>
    /// AAD = envelope bytes [0, 22) (magic, version, key id, salt) || uint64be(record version) || strict UTF-8 of the
    /// session ID. Binding the version makes an edit of the storage header fail authentication.
    /// </summary>
    private static bool TryBuildAad(ReadOnlySpan<byte> envelope, long recordVersion, string sessionId, Span<byte> destination, out int length)
    {
        envelope[..EnvelopeFormat.BoundHeaderSize].CopyTo(destination);
        BinaryPrimitives.WriteInt64BigEndian(destination[EnvelopeFormat.BoundHeaderSize..], recordVersion);
        OperationStatus status = Utf8.FromUtf16(sessionId, destination[EnvelopeFormat.AadPrefixSize..], out _, out int written, replaceInvalidSequences: false);
        length = EnvelopeFormat.AadPrefixSize + written;
        return status == OperationStatus.Done;
    }
}
