using System;
using System.IO;
using SessionConnector.Postgres;
using SessionConnector.Redis;
using SessionConnector.Storage;

namespace SessionConnector.Cli;

/// <summary>Opens the store and the key ring a command names; every problem becomes a <see cref="UsageException"/> with its exit code.</summary>
internal static class StoreOpener
{
    public static SessionStorage OpenStorage(ParsedCommand command)
    {
        string? dir = command.Value(Verbs.File.Name);
        string? redis = command.Value(Verbs.Redis.Name);
        string? prefix = command.Value(Verbs.Prefix.Name);
        string? postgres = command.Value(Verbs.Postgres.Name);
        if ((dir is null ? 0 : 1) + (redis is null ? 0 : 1) + (postgres is null ? 0 : 1) != 1)
        {
            throw new UsageException("name the store with exactly one of --file DIR and --redis CONFIG --prefix P (or --postgres [SCHEMA.]TABLE).");
        }

        if (postgres is not null)
        {
            if (prefix is not null) throw new UsageException("--prefix applies to --redis only.");
            return OpenPostgres(postgres);
        }

        if (dir is not null)
        {
            if (prefix is not null) throw new UsageException("--prefix applies to --redis only.");
            // Never create a store: a mistyped path must fail, not report an empty store.
            if (!Directory.Exists(dir)) throw new UsageException($"no session store directory '{dir}'.", ExitCodes.Store);
            return new FileSessionStorage(dir);
        }

        // No default prefix: a guess could walk (and purge) another application's keys.
        if (string.IsNullOrEmpty(prefix)) throw new UsageException("--redis needs --prefix P, the key prefix the applications use (e.g. sc:myapp:).");
        return RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = redis, KeyPrefix = prefix, OperationTimeout = TimeSpan.FromSeconds(10) });
    }

    /// <summary>Where --postgres reads its connection string: an environment variable, so a password never appears in the process list.</summary>
    public const string PostgresEnvironmentVariable = "SESSIONCONNECTOR_POSTGRES";

    private static PostgresSessionStorage OpenPostgres(string name)
    {
        string? connectionString = Environment.GetEnvironmentVariable(PostgresEnvironmentVariable);
        if (string.IsNullOrEmpty(connectionString))
        {
            throw new UsageException($"--postgres reads the connection string from {PostgresEnvironmentVariable} (e.g. Host=db;Database=app;Username=ops;Password=...); it is not set.");
        }

        int dot = name.IndexOf('.', StringComparison.Ordinal);
        var options = new PostgresSessionStorageOptions
        {
            ConnectionString = connectionString,
            TableName = dot < 0 ? name : name[(dot + 1)..],
            OperationTimeout = TimeSpan.FromSeconds(10),
            // An operator tool: no background sweep of its own (purge is the explicit way).
            SweepInterval = System.Threading.Timeout.InfiniteTimeSpan,
        };
        if (dot >= 0) options.Schema = name[..dot];
        try
        {
            return PostgresSessionStorage.Connect(options);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--postgres {name}: {e.Message}");
        }
    }

    /// <summary>The ring from --keys-file or SESSIONCONNECTOR_KEYS; null when neither is set and the verb can do without.</summary>
    public static SessionKeyRing? OpenKeys(ParsedCommand command, bool required)
    {
        string? path = command.Value(Verbs.KeysFile.Name);
        string? list;
        string source;
        if (path is not null)
        {
            source = $"keys file '{path}'";
            list = ReadKeysFile(path);
        }
        else
        {
            source = SessionKeyRing.DefaultEnvironmentVariable;
            list = Environment.GetEnvironmentVariable(SessionKeyRing.DefaultEnvironmentVariable);
        }

        if (string.IsNullOrWhiteSpace(list))
        {
            if (!required) return null;
            throw new UsageException(
                $"'{command.Verb.Name}' needs the applications' keys: set {SessionKeyRing.DefaultEnvironmentVariable} or pass --keys-file PATH "
                + "(format [*|-]id:base64,…, the same list the applications use).", ExitCodes.Keys);
        }

        try
        {
            return SessionKeyRing.Parse(list);
        }
        catch (FormatException e)
        {
            throw new UsageException($"{source}: {e.Message}", ExitCodes.Keys);
        }
    }

    private static string ReadKeysFile(string path)
    {
        try
        {
            // Fail closed on a key file others can read: the keys decrypt every session.
            if (!OperatingSystem.IsWindows())
            {
                UnixFileMode mode = File.GetUnixFileMode(path);
                const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                    | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
                if ((mode & others) != 0) throw new UsageException($"keys file '{path}' is readable or writable by other users; chmod 600 it.", ExitCodes.Keys);
            }

            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read keys file '{path}': {e.Message}", ExitCodes.Keys);
        }
    }
}
