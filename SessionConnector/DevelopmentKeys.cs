using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;

namespace SessionConnector;

/// <summary>
/// Where a connector's keys come from: the options, else <c>SESSIONCONNECTOR_KEYS</c>, else — only when the app opted in
/// with <see cref="SessionConnectorOptions.UseDevelopmentKey"/> — a development key; otherwise it refuses to start.
/// </summary>
/// <remarks>
/// A file store's development key lives per user, outside the store, in a file named for the store's full path: a copy
/// or backup of the store does not carry its key, and someone who can write the store cannot plant a key there. The
/// file is created 0600 in a 0700 directory and refused when it is a symbolic link, belongs to another user, or is
/// readable by anyone else.
/// </remarks>
internal static class DevelopmentKeys
{
    private const string HowToConfigure =
        "Set SessionConnectorOptions.Keys (e.g. SessionKeyRing.Parse(...) or SessionKeyRing.FromBase64(...)) or the " +
        SessionKeyRing.DefaultEnvironmentVariable + " environment variable (format '1:base64key,*2:base64key', oldest first, " +
        "* = primary; each key 32 random bytes, e.g. from 'openssl rand -base64 32').";

    /// <summary>Resolves the keys for a connector over <paramref name="storage"/> with <paramref name="options"/>.</summary>
    /// <param name="storage">The connector's storage; a file store's development key is named for its path.</param>
    /// <param name="options">The connector's options.</param>
    /// <param name="owned">True when the ring was created here, so the connector disposes it.</param>
    /// <exception cref="SessionStorageConnectorException">No key is configured and no development key was asked for, or the development key is unusable.</exception>
    public static SessionKeyRing Resolve(SessionStorage storage, SessionConnectorOptions options, out bool owned)
    {
        owned = false;
        if (options.Keys is not null) return options.Keys;

        // Production deployments usually inject keys through the environment; no code change needed.
        SessionKeyRing? fromEnvironment;
        try
        {
            fromEnvironment = SessionKeyRing.FromEnvironment();
        }
        catch (FormatException e)
        {
            throw new SessionStorageConnectorException(e.Message);
        }

        owned = true;
        if (fromEnvironment is not null) return fromEnvironment;

        if (!options.UseDevelopmentKey)
        {
            throw new SessionStorageConnectorException(
                "No session encryption key is configured, so the connector refuses to start. " + HowToConfigure +
                " For local development only, set SessionConnectorOptions.UseDevelopmentKey = true or call Sessions.ConfigureDefault().");
        }

        Action<string> warn = options.Warn ?? (message => Console.Error.WriteLine(message));
        if (storage is FileSessionStorage file)
        {
            string path = KeyPath(options.DevelopmentKeyDirectory, file.DirectoryPath);
            options.Observer?.DevelopmentKeyInUse($"development key file '{path}'");
            warn($"WARNING: SessionConnector is using a DEVELOPMENT key from '{path}'. Never use it in production: {HowToConfigure}");
            byte[] secret = LoadOrCreate(path);
            try
            {
                var ring = SessionKeyRing.FromSecret(secret);
                ring.IsDevelopmentKey = true;
                return ring;
            }
            catch (ArgumentException e)
            {
                throw new SessionStorageConnectorException($"The development key file '{path}' holds an unusable key ({e.Message}). Delete it to generate a new one.");
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }

        options.Observer?.DevelopmentKeyInUse("random in-memory development key");
        warn($"WARNING: SessionConnector generated a random DEVELOPMENT key; sessions will not survive a restart. {HowToConfigure}");
        return SessionKeyRing.CreateDevelopment();
    }

    /// <summary>The development key file of the store at <paramref name="storeLocation"/> (a full path).</summary>
    internal static string KeyPath(string? directory, string storeLocation)
    {
        directory ??= DefaultDirectory();
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(storeLocation), hash);
        return Path.Combine(directory, Convert.ToHexString(hash[..16]).ToLowerInvariant() + ".key");
    }

    private static string DefaultDirectory()
    {
        string? data;
        if (OperatingSystem.IsWindows())
        {
            data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        }
        else
        {
            // The XDG base directory rule: $XDG_DATA_HOME when it is an absolute path, else ~/.local/share.
            data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            if (string.IsNullOrEmpty(data) || !Path.IsPathRooted(data))
            {
                string? home = Environment.GetEnvironmentVariable("HOME");
                data = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".local", "share");
            }
        }

        if (string.IsNullOrEmpty(data))
        {
            throw new SessionStorageConnectorException("No per-user data directory is known (HOME is not set), so there is nowhere private to keep a development key. " + HowToConfigure);
        }

        return Path.Combine(data, "SessionConnector", "dev-keys");
    }

    private static byte[] LoadOrCreate(string path)
    {
        string directory = Path.GetDirectoryName(path)!;
        string? problem;
        try
        {
            // The parent (…/SessionConnector) is created 0700 too; only the key's own directory must pass the checks.
            problem = UnixFiles.EnsurePrivateDirectory(directory, privateParent: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageConnectorException($"The development key directory '{directory}' cannot be created: {e.Message}");
        }

        if (problem is not null) throw Refused(directory, "directory", problem);

        // Two attempts: a process that loses the creation race reads the winner's key, so both share sessions.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (TryRead(path) is { } existing) return existing;
                return Create(path);
            }
            catch (IOException) when (attempt == 0 && File.Exists(path))
            {
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SessionStorageConnectorException($"The development key file '{path}' cannot be read or created: {e.Message}");
            }
        }
    }

    private static byte[]? TryRead(string path)
    {
        // One open and one status call on the open file: O_NOFOLLOW refuses a symbolic link (the path is looked at again
        // only to say so), and the checks below see the very file that is read, not whatever the path names later.
        using SafeFileHandle? handle = UnixFiles.IsUnix
            ? OpenNoFollow(path)
            : File.Exists(path) ? File.OpenHandle(path) : null;
        if (handle is null) return null;

        if (UnixFiles.IsUnix)
        {
            EntryStatus status = UnixFiles.GetStatus(handle);
            if (status.Kind != EntryKind.Regular) throw Refused(path, "file", "is not a regular file");
            uint me = UnixFiles.CurrentUserId;
            if (status.OwnerId != UnixFiles.UnknownOwner && status.OwnerId != me)
            {
                throw Refused(path, "file", $"is owned by user id {status.OwnerId}, not by the current user (id {me})");
            }

            if ((status.Mode & UnixFiles.GroupOrOther) != 0)
            {
                throw Refused(path, "file", $"is readable or writable by others (mode {Convert.ToString((int)status.Mode, 8)}; it must be 600)");
            }
        }

        long length = RandomAccess.GetLength(handle);
        if (length != SessionKeyRing.MasterKeyLength)
        {
            throw new SessionStorageConnectorException($"The development key file '{path}' is {length} bytes; expected {SessionKeyRing.MasterKeyLength}. Delete it to generate a new one.");
        }

        byte[] key = new byte[SessionKeyRing.MasterKeyLength];
        if (RandomAccess.Read(handle, key, 0) != key.Length) throw new IOException("The file shrank while it was read.");
        return key;
    }

    private static SafeFileHandle? OpenNoFollow(string path)
    {
        try
        {
            return UnixFiles.OpenNoFollow(path, write: false, create: false);
        }
        catch (IOException) when (UnixFiles.TryGetStatus(path, out EntryStatus status) && status.Kind == EntryKind.SymbolicLink)
        {
            throw Refused(path, "file", "is a symbolic link");
        }
    }

    private static byte[] Create(string path)
    {
        byte[] key = RandomNumberGenerator.GetBytes(SessionKeyRing.MasterKeyLength);
        // CreateNew is O_CREAT|O_EXCL: never follows a link, fails if anything is already there. 0600 from the start.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (UnixFiles.IsUnix) options.UnixCreateMode = UnixFiles.PrivateFileMode;
        using var stream = new FileStream(path, options);
        stream.Write(key);
        stream.Flush(flushToDisk: true);
        return key;
    }

    private static SessionStorageConnectorException Refused(string path, string what, string problem) =>
        new($"Refusing the development key {what} '{path}': it {problem}. Remove it (a new key is generated), or configure real keys: {HowToConfigure}");
}
