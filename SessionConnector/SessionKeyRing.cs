using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;

namespace SessionConnector;

/// <summary>
/// The keys that protect sessions at rest: one primary key that encrypts, older keys that still decrypt,
/// revoked keys that no longer do, and one stable naming key from which storage keys (file names, Redis keys) are derived.
/// </summary>
/// <remarks>
/// <para>A 32-byte secret is used as the master key as is; a longer one is turned into a 32-byte master key with
/// HKDF-SHA256. Raw secrets must be random: shorter than 32 bytes, all zero, one repeated byte or a short repeated pattern
/// (fewer than 8 distinct byte values) are refused. A passphrase is not a key: derive one with
/// <see cref="AddPassphraseKey"/> or <see cref="FromPassphrase"/>, which run PBKDF2.</para>
/// <para>The naming key is the first key added unless <see cref="NamingKeyId"/> says otherwise. It does not change when
/// the primary rotates, so rotation never renames (and so never logs out) existing sessions. Revoking the naming key
/// stops it from decrypting, but its secret is kept for naming.</para>
/// <para>The ring is safe to read from many threads while keys are added or revoked. Disposing it zeroes the key material
/// it holds.</para>
/// </remarks>
public sealed class SessionKeyRing : IDisposable
{
    /// <summary>The environment variable read by <see cref="FromEnvironment(string)"/> when no name is given.</summary>
    public const string DefaultEnvironmentVariable = "SESSIONCONNECTOR_KEYS";

    /// <summary>The shortest raw secret accepted, in bytes.</summary>
    public const int MinimumSecretLength = 32;

    /// <summary>The fewest PBKDF2 iterations <see cref="AddPassphraseKey"/> accepts.</summary>
    public const int MinimumPassphraseIterations = 100_000;

    /// <summary>The PBKDF2-SHA256 iterations <see cref="AddPassphraseKey"/> uses by default (OWASP's 2023 figure).</summary>
    public const int DefaultPassphraseIterations = 600_000;

    // Random 32-byte keys have about 30 distinct byte values; fewer than this means a fixed or patterned secret.
    private const int MinimumDistinctBytes = 8;

    internal const int MasterKeyLength = 32;

    private static ReadOnlySpan<byte> MasterKeyInfo => "SessionConnector/v1/master-key"u8;

    private readonly object _gate = new();
    private readonly List<byte[]> _owned = new();
    // Readers take one volatile snapshot; writers replace it under _gate (copy on write: writes are rare).
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private bool _disposed;

    /// <summary>The id of the key that encrypts new records.</summary>
    /// <exception cref="InvalidOperationException">The ring holds no key.</exception>
    public uint PrimaryKeyId => _snapshot.Primary ?? throw new InvalidOperationException("The session key ring holds no key.");

    /// <summary>
    /// The id of the key whose secret names records (see <see cref="SessionKeyRing"/> remarks). Defaults to the first key added.
    /// Set it before the ring is handed to the connector: changing it renames every record.
    /// </summary>
    /// <exception cref="ArgumentException">No key with that id was added.</exception>
    public uint NamingKeyId
    {
        get => _snapshot.NamingKeyId ?? throw new InvalidOperationException("The session key ring holds no key.");
        set
        {
            lock (_gate)
            {
                ThrowIfDisposed();
                Snapshot s = _snapshot;
                if (!s.AllKeys.ContainsKey(value)) throw new ArgumentException($"The key ring holds no key {value}.", nameof(value));
                _snapshot = s with { NamingKeyId = value };
            }
        }
    }

    /// <summary>True when the ring was generated for development because no key was configured.</summary>
    public bool IsDevelopmentKey { get; internal set; }

    /// <summary>The number of keys that can still decrypt (added and not revoked).</summary>
    public int ActiveKeyCount => _snapshot.Active.Count;

    /// <summary>
    /// Adds a key. A 32-byte secret is used as is; a longer one is derived into a 32-byte key with HKDF-SHA256. The
    /// secret is copied; the caller may clear its buffer afterwards.
    /// </summary>
    /// <param name="keyId">The id written into every record this key encrypts. Ids are never reused.</param>
    /// <param name="secret">Random key material, at least <see cref="MinimumSecretLength"/> bytes (not a passphrase: see <see cref="AddPassphraseKey"/>).</param>
    /// <param name="primary">Make this the key that encrypts new records. The first key added is primary regardless.</param>
    /// <returns>This ring, for chaining.</returns>
    /// <exception cref="ArgumentException">
    /// The secret is shorter than 32 bytes or weak (all zero, one repeated byte, a short repeated pattern), or the id was
    /// already added or revoked. The message names the key id.
    /// </exception>
    public SessionKeyRing AddKey(uint keyId, ReadOnlySpan<byte> secret, bool primary = false)
    {
        if (WeaknessOf(keyId, secret) is { } weakness) throw new ArgumentException(weakness, nameof(secret));
        return AddMasterKey(keyId, DeriveMasterKey(secret), primary);
    }

    /// <summary>
    /// Adds a key derived from a passphrase with PBKDF2-HMAC-SHA256. Use it only for a human-chosen secret; a random key
    /// belongs in <see cref="AddKey"/>. Deriving is slow on purpose (about 0.3 s at the default iterations), once per start.
    /// </summary>
    /// <param name="keyId">The id written into every record this key encrypts. Ids are never reused.</param>
    /// <param name="passphrase">At least 12 characters.</param>
    /// <param name="salt">At least 16 bytes, fixed per deployment (every node must derive the same key), not secret.</param>
    /// <param name="iterations">PBKDF2 iterations, at least <see cref="MinimumPassphraseIterations"/>.</param>
    /// <param name="primary">Make this the key that encrypts new records. The first key added is primary regardless.</param>
    /// <returns>This ring, for chaining.</returns>
    /// <exception cref="ArgumentException">The passphrase or salt is too short, iterations too few, or the id was already used.</exception>
    public SessionKeyRing AddPassphraseKey(uint keyId, string passphrase, ReadOnlySpan<byte> salt, int iterations = DefaultPassphraseIterations, bool primary = false)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        if (passphrase.Length < 12) throw new ArgumentException($"Key {keyId}: a passphrase must be at least 12 characters; got {passphrase.Length}.", nameof(passphrase));
        if (salt.Length < 16) throw new ArgumentException($"Key {keyId}: the passphrase salt must be at least 16 bytes; got {salt.Length}.", nameof(salt));
        if (iterations < MinimumPassphraseIterations)
        {
            throw new ArgumentException($"Key {keyId}: PBKDF2 needs at least {MinimumPassphraseIterations} iterations; got {iterations}.", nameof(iterations));
        }

        byte[] key = Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, iterations, HashAlgorithmName.SHA256, MasterKeyLength);
        return AddMasterKey(keyId, key, primary);
    }

    /// <summary>A ring holding one key (id 1, primary) derived from a passphrase; see <see cref="AddPassphraseKey"/>.</summary>
    /// <param name="passphrase">At least 12 characters.</param>
    /// <param name="salt">At least 16 bytes, fixed per deployment, not secret.</param>
    /// <param name="iterations">PBKDF2 iterations, at least <see cref="MinimumPassphraseIterations"/>.</param>
    public static SessionKeyRing FromPassphrase(string passphrase, ReadOnlySpan<byte> salt, int iterations = DefaultPassphraseIterations) =>
        new SessionKeyRing().AddPassphraseKey(1, passphrase, salt, iterations, primary: true);

    /// <summary>Why <paramref name="secret"/> cannot be key <paramref name="keyId"/>, or null when it can.</summary>
    internal static string? WeaknessOf(uint keyId, ReadOnlySpan<byte> secret)
    {
        if (secret.Length < MinimumSecretLength)
        {
            return $"Key {keyId} is {secret.Length} bytes; a raw key must be at least {MinimumSecretLength} random bytes " +
                "(e.g. 'openssl rand -base64 32'). For a passphrase use SessionKeyRing.AddPassphraseKey/FromPassphrase.";
        }

        Span<bool> seen = stackalloc bool[256];
        int distinct = 0;
        foreach (byte b in secret)
        {
            if (!seen[b]) { seen[b] = true; distinct++; }
        }

        if (distinct >= MinimumDistinctBytes) return null;
        return distinct == 1
            ? $"Key {keyId} is weak: every byte is 0x{secret[0]:X2}. Use {MinimumSecretLength} random bytes (e.g. 'openssl rand -base64 32')."
            : $"Key {keyId} is weak: only {distinct} distinct byte values (a fixed or repeated pattern). Use {MinimumSecretLength} random bytes (e.g. 'openssl rand -base64 32').";
    }

    private SessionKeyRing AddMasterKey(uint keyId, byte[] key, bool primary)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                CryptographicOperations.ZeroMemory(key);
                throw new ObjectDisposedException(nameof(SessionKeyRing));
            }
            Snapshot s = _snapshot;
            if (s.AllKeys.ContainsKey(keyId) || s.Revoked.Contains(keyId))
            {
                CryptographicOperations.ZeroMemory(key);
                throw new ArgumentException($"Key id {keyId} was already added or revoked; key ids are never reused.", nameof(keyId));
            }
            _owned.Add(key);
            var all = new Dictionary<uint, byte[]>(s.AllKeys) { [keyId] = key };
            var active = new Dictionary<uint, byte[]>(s.Active) { [keyId] = key };
            _snapshot = new Snapshot(all, active, s.Revoked,
                primary || s.Primary is null ? keyId : s.Primary,
                s.NamingKeyId ?? keyId);
        }
        return this;
    }

    /// <summary>
    /// Revokes a key: records encrypted under it no longer decrypt (they are rejected and evicted when read).
    /// Revoking an id that was never added is allowed and blocks the id from being added later.
    /// </summary>
    /// <param name="keyId">The key to revoke.</param>
    /// <returns>This ring, for chaining.</returns>
    /// <exception cref="InvalidOperationException">The key is the primary; promote another key first.</exception>
    public SessionKeyRing Revoke(uint keyId)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Snapshot s = _snapshot;
            if (s.Primary == keyId)
            {
                throw new InvalidOperationException($"Key {keyId} is the primary key; add and promote a new primary before revoking it.");
            }
            var active = new Dictionary<uint, byte[]>(s.Active);
            active.Remove(keyId);
            var revoked = new HashSet<uint>(s.Revoked) { keyId };
            _snapshot = s with { Active = active, Revoked = revoked };
        }
        return this;
    }

    /// <summary>Makes an already added, unrevoked key the primary (the key that encrypts new records).</summary>
    /// <param name="keyId">The key to promote.</param>
    /// <returns>This ring, for chaining.</returns>
    /// <exception cref="ArgumentException">The key was never added or is revoked.</exception>
    public SessionKeyRing SetPrimary(uint keyId)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Snapshot s = _snapshot;
            if (!s.Active.ContainsKey(keyId)) throw new ArgumentException($"Key {keyId} is not an active key of this ring.", nameof(keyId));
            _snapshot = s with { Primary = keyId };
        }
        return this;
    }

    /// <summary>A ring holding one key (id 1, primary) from <paramref name="secret"/>.</summary>
    /// <param name="secret">At least <see cref="MinimumSecretLength"/> random bytes; 32 bytes are used as is.</param>
    /// <exception cref="ArgumentException">The secret is too short or weak (see <see cref="AddKey"/>).</exception>
    public static SessionKeyRing FromSecret(ReadOnlySpan<byte> secret) => new SessionKeyRing().AddKey(1, secret, primary: true);

    /// <summary>A ring holding one key (id 1, primary) from a base64 or base64url secret.</summary>
    /// <param name="base64Secret">The secret, standard or URL-safe base64, padding optional.</param>
    /// <exception cref="FormatException">The text is not base64.</exception>
    public static SessionKeyRing FromBase64(string base64Secret)
    {
        ArgumentNullException.ThrowIfNull(base64Secret);
        byte[] secret = DecodeBase64(base64Secret.AsSpan().Trim());
        try
        {
            return FromSecret(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// Parses a key list: comma-separated entries <c>[*|-]id:base64secret</c>, for example
    /// <c>1:AAAA…,*2:BBBB…</c>. <c>*</c> marks the primary (required when more than one key is listed),
    /// <c>-</c> marks a revoked key. The first entry is the naming key, so list keys oldest first and keep the first entry
    /// (revoke it with <c>-</c> rather than deleting it). Whitespace around entries is ignored.
    /// </summary>
    /// <param name="keyList">The key list.</param>
    /// <exception cref="FormatException">The list is malformed; the message never contains key material.</exception>
    public static SessionKeyRing Parse(string keyList)
    {
        ArgumentNullException.ThrowIfNull(keyList);
        var ring = new SessionKeyRing();
        try
        {
            var revoked = new List<uint>();
            uint? primary = null;
            int count = 0;
            foreach (string rawEntry in keyList.Split(','))
            {
                ReadOnlySpan<char> entry = rawEntry.AsSpan().Trim();
                if (entry.IsEmpty) continue;
                count++;
                bool isPrimary = false, isRevoked = false;
                if (entry[0] == '*') { isPrimary = true; entry = entry[1..]; }
                else if (entry[0] == '-') { isRevoked = true; entry = entry[1..]; }
                int colon = entry.IndexOf(':');
                if (colon <= 0 || !uint.TryParse(entry[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out uint id))
                {
                    throw new FormatException($"Key list entry {count} is not of the form [*|-]id:base64secret.");
                }
                if (isPrimary)
                {
                    if (primary is not null) throw new FormatException("The key list marks more than one primary key with '*'.");
                    primary = id;
                }
                byte[] secret;
                try
                {
                    secret = DecodeBase64(entry[(colon + 1)..].Trim());
                }
                catch (FormatException)
                {
                    throw new FormatException($"The secret of key {id} is not valid base64.");
                }
                try
                {
                    if (WeaknessOf(id, secret) is { } weakness) throw new FormatException(weakness);
                    if (ring.KnowsKeyId(id)) throw new FormatException($"Key id {id} is listed twice; key ids are never reused.");
                    ring.AddKey(id, secret);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(secret);
                }
                if (isRevoked) revoked.Add(id);
            }
            if (count == 0) throw new FormatException("The key list is empty.");
            if (primary is null)
            {
                if (count - revoked.Count != 1) throw new FormatException("The key list holds several keys; mark the primary with '*'.");
                foreach (uint id in ring._snapshot.Active.Keys) if (!revoked.Contains(id)) primary = id;
            }
            if (revoked.Contains(primary!.Value)) throw new FormatException("The primary key cannot be revoked.");
            ring.SetPrimary(primary.Value);
            foreach (uint id in revoked) ring.Revoke(id);
            return ring;
        }
        catch
        {
            ring.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a key list in the <see cref="Parse(string)"/> format from an environment variable, or returns
    /// <see langword="null"/> when the variable is unset or empty (the caller decides whether to refuse to start or to
    /// fall back to <see cref="CreateDevelopment"/>).
    /// </summary>
    /// <param name="variable">The variable name; <see cref="DefaultEnvironmentVariable"/> by default.</param>
    /// <exception cref="FormatException">The variable is set but malformed or holds a weak key; the message names the variable and the key id.</exception>
    public static SessionKeyRing? FromEnvironment(string variable = DefaultEnvironmentVariable)
    {
        string? value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value)) return null;
        try
        {
            return Parse(value);
        }
        catch (FormatException e)
        {
            throw new FormatException($"The environment variable {variable} is not a usable key list: {e.Message}", e);
        }
    }

    /// <summary>True when both rings hold the same key ids with the same key material, primary, naming key and revocations.</summary>
    internal bool HasSameKeysAs(SessionKeyRing other)
    {
        Snapshot a = _snapshot, b = other._snapshot;
        if (a.Primary != b.Primary || a.NamingKeyId != b.NamingKeyId || a.AllKeys.Count != b.AllKeys.Count || !a.Revoked.SetEquals(b.Revoked))
        {
            return false;
        }

        foreach ((uint id, byte[] key) in a.AllKeys)
        {
            if (!b.AllKeys.TryGetValue(id, out byte[]? otherKey) || !CryptographicOperations.FixedTimeEquals(key, otherKey)) return false;
        }

        return true;
    }

    /// <summary>A random, process-local key for development. Sessions do not survive a restart with it.</summary>
    public static SessionKeyRing CreateDevelopment()
    {
        Span<byte> key = stackalloc byte[MasterKeyLength];
        RandomNumberGenerator.Fill(key);
        var ring = FromSecret(key);
        ring.IsDevelopmentKey = true;
        CryptographicOperations.ZeroMemory(key);
        return ring;
    }

    /// <summary>Zeroes all key material held by the ring. Protectors built on it stop decrypting.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _snapshot = Snapshot.Empty;
            foreach (byte[] key in _owned) CryptographicOperations.ZeroMemory(key);
            _owned.Clear();
        }
    }

    /// <summary>The master key for <paramref name="keyId"/>, or null when it is unknown, revoked or the ring is disposed.</summary>
    internal byte[]? GetKey(uint keyId) => _snapshot.Active.GetValueOrDefault(keyId);

    /// <summary>True when the ring holds or has revoked <paramref name="keyId"/>: the id is not from a key this ring never saw.</summary>
    internal bool KnowsKeyId(uint keyId)
    {
        Snapshot s = _snapshot;
        return s.AllKeys.ContainsKey(keyId) || s.Revoked.Contains(keyId);
    }

    /// <summary>The primary id and its master key, read from one snapshot so they always match.</summary>
    internal (uint KeyId, byte[] Key) GetPrimary()
    {
        Snapshot s = _snapshot;
        if (s.Primary is not uint id)
        {
            ThrowIfDisposed();
            throw new InvalidOperationException("The session key ring holds no key.");
        }
        return (id, s.Active[id]);
    }

    /// <summary>The secret storage keys are derived from; unaffected by rotation and revocation.</summary>
    internal byte[] GetNamingSecret()
    {
        Snapshot s = _snapshot;
        if (s.NamingKeyId is not uint id)
        {
            ThrowIfDisposed();
            throw new InvalidOperationException("The session key ring holds no key.");
        }
        return s.AllKeys[id];
    }

    internal static byte[] DeriveMasterKey(ReadOnlySpan<byte> secret)
    {
        byte[] key = new byte[MasterKeyLength];
        if (secret.Length == MasterKeyLength) secret.CopyTo(key);
        else HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, key, salt: default, info: MasterKeyInfo);
        return key;
    }

    private static byte[] DecodeBase64(ReadOnlySpan<char> text)
    {
        // Accept base64url and missing padding: secrets often come from URL-safe generators.
        Span<char> buffer = text.Length <= 512 ? stackalloc char[text.Length + 3] : new char[text.Length + 3];
        int n = 0;
        foreach (char c in text) buffer[n++] = c == '-' ? '+' : c == '_' ? '/' : c;
        while (n % 4 != 0) buffer[n++] = '=';
        byte[] bytes = new byte[n / 4 * 3];
        bool ok = Convert.TryFromBase64Chars(buffer[..n], bytes, out int written);
        buffer.Clear();
        if (!ok)
        {
            CryptographicOperations.ZeroMemory(bytes);
            throw new FormatException("The secret is not valid base64.");
        }
        byte[] result = bytes.AsSpan(0, written).ToArray();
        CryptographicOperations.ZeroMemory(bytes);
        return result;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private sealed record Snapshot(
        Dictionary<uint, byte[]> AllKeys,
        Dictionary<uint, byte[]> Active,
        HashSet<uint> Revoked,
        uint? Primary,
        uint? NamingKeyId)
    {
        public static readonly Snapshot Empty = new(new(), new(), new(), null, null);
    }
}
