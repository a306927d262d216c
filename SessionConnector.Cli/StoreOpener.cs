using System;
using System.IO;
using SessionConnector.Postgres;
using SessionConnector.Redis;
using SessionConnector.Storage;

namespace SessionConnector.Cli;

/// <summary>Opens the store and the key ring a command names; every problem becomes a <see cref="UsageException"/> with its exit code.</summary>
internal static class StoreOpener
{
    /// <summary>The environment variable that holds the Redis configuration when no option names one.</summary>
    public const string RedisEnvironmentVariable = "SESSIONCTL_REDIS";

    private const string RedisSecretHelp =
        "put the configuration in the " + RedisEnvironmentVariable + " environment variable or in a file only you can read "
        + "(--redis-file PATH, mode 600)";

    public static SessionStorage OpenStorage(ParsedCommand command)
    {
        string? dir = command.Value(Verbs.File.Name);
        string? redis = command.Value(Verbs.Redis.Name);
        string? redisFile = command.Value(Verbs.RedisFile.Name);
        string? prefix = command.Value(Verbs.Prefix.Name);
        if (redis is not null && redisFile is not null) throw new UsageException("give the Redis configuration once: --redis CONFIG or --redis-file PATH.");
        bool namedRedis = redis is not null || redisFile is not null;
        string? postgres = command.Value(Verbs.Postgres.Name);
        if ((dir is null ? 0 : 1) + (namedRedis ? 1 : 0) + (postgres is null ? 0 : 1) > 1)
        {
            throw new UsageException("name the store with exactly one of --file DIR, --redis CONFIG --prefix P and --postgres [SCHEMA.]TABLE.");
        }

        if (postgres is not null)
        {
            if (prefix is not null) throw new UsageException("--prefix applies to --redis only.");
            return OpenPostgres(postgres);
        }

        if (dir is not null)
        {
            if (namedRedis) throw new UsageException("name the store with exactly one of --file DIR and --redis CONFIG --prefix P.");
            if (prefix is not null) throw new UsageException("--prefix applies to --redis only.");
            // Never create a store: a mistyped path must fail, not report an empty store.
            if (!Directory.Exists(dir)) throw new UsageException($"no session store directory '{dir}'.", ExitCodes.Store);
            return OpenFile(dir);
        }

        string? configuration;
        if (redis is not null)
        {
            // Other local users can read a process's arguments (ps, /proc/PID/cmdline): no password there.
            if (HasPassword(redis)) throw new UsageException("the Redis password is not taken on the command line, where other local users can read it; " + RedisSecretHelp + ".");
            configuration = redis;
        }
        else if (redisFile is not null)
        {
            configuration = PrivateFile.ReadText(redisFile, "Redis configuration file", ExitCodes.Usage).Trim();
        }
        else
        {
            configuration = Environment.GetEnvironmentVariable(RedisEnvironmentVariable);
            if (string.IsNullOrWhiteSpace(configuration))
            {
                throw new UsageException($"name the store with exactly one of --file DIR and --redis CONFIG --prefix P (or --redis-file PATH, or {RedisEnvironmentVariable}, with --prefix P).");
            }
        }

        if (string.IsNullOrWhiteSpace(configuration)) throw new UsageException("the Redis configuration is empty.");

        // No default prefix: a guess could walk (and purge) another application's keys.
        if (string.IsNullOrEmpty(prefix)) throw new UsageException("--redis needs --prefix P, the key prefix the applications use (e.g. sc:myapp:).");
        return RedisSessionStorage.Connect(new RedisSessionStorageOptions { Configuration = configuration, KeyPrefix = prefix, OperationTimeout = TimeSpan.FromSeconds(10) });
    }

    /// <summary>
    /// Opens a file store as every command does: the default durability, and no background sweep. A command does what it
    /// names and nothing behind the operator's back (purge is the explicit way to delete expired records; stats or a dry
    /// run must not delete any), as for Postgres below. <paramref name="time"/> is the system clock except in tests.
    /// </summary>
    internal static FileSessionStorage OpenFile(string directory, TimeProvider? time = null) =>
        new(directory, new FileSessionStorageOptions { TimeProvider = time, SweepInterval = System.Threading.Timeout.InfiniteTimeSpan });

    /// <summary>
    /// Whether a StackExchange.Redis configuration carries a password: a <c>password=</c> option (names are
    /// case-insensitive) or user information in a <c>redis://</c> / <c>rediss://</c> address.
    /// </summary>
    internal static bool HasPassword(string configuration)
    {
        foreach (string part in configuration.Split(','))
        {
            string token = part.Trim();
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && token[..eq].Trim().Equals("password", StringComparison.OrdinalIgnoreCase)) return true;
            if (token.Contains("://", StringComparison.Ordinal) && token.Contains('@', StringComparison.Ordinal)) return true;
        }

        return false;
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

    private static string ReadKeysFile(string path) =>
        // Fail closed on a key file others can read or plant: the keys decrypt every session.
        PrivateFile.ReadText(path, "keys file", ExitCodes.Keys);
}
