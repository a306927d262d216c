using System;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SessionConnector.Postgres.Internal;

/// <summary>
/// Every statement the storage runs, built once per table. Parameters are positional (<c>$1</c>), which Npgsql sends
/// as they are, without rewriting the text. Expiry is Unix milliseconds compared with the server's clock, so every node
/// agrees on what has expired whatever its own clock says.
/// </summary>
internal sealed class PostgresSql
{
    /// <summary>The server's now in Unix milliseconds.</summary>
    private const string Now = "(extract(epoch from now()) * 1000)::bigint";

    private const string Live = "(expires_at IS NULL OR expires_at > " + Now + ")";

    public PostgresSql(string schema, string table)
    {
        string q = Quote(schema) + "." + Quote(table);
        QualifiedTable = q;
        // Distinct keys per table: one for the sweep, one (the next number) for schema creation.
        SweepLockKey = LockKey(schema, table);
        SchemaLockKey = SweepLockKey ^ 1;

        Read = $"SELECT version, expires_at, value FROM {q} WHERE key = $1 AND {Live}";

        // One statement: the upsert compares under the row lock ON CONFLICT takes, and the NOTIFY runs only for a row
        // it changed (pg_notify is evaluated per row of w). The result is one row when written, none when refused.
        const string Upsert = "INSERT INTO {0} AS t (key, version, expires_at, value) VALUES ($1, $2, $3, $4) "
            + "ON CONFLICT (key) DO UPDATE SET version = EXCLUDED.version, expires_at = EXCLUDED.expires_at, value = EXCLUDED.value";
        string upsert = string.Format(System.Globalization.CultureInfo.InvariantCulture, Upsert, q);
        WriteAny = $"WITH w AS ({upsert} RETURNING 1) SELECT pg_notify($5, $6) IS NOT NULL FROM w";
        // Absent: only an expired row may be replaced (NULL <= x is not true, so a row without expiry stays).
        WriteAbsent = $"WITH w AS ({upsert} WHERE t.expires_at <= {Now} RETURNING 1) SELECT pg_notify($5, $6) IS NOT NULL FROM w";
        // A versioned write never creates a row: a plain UPDATE, compared and applied under the row lock it takes.
        WriteVersion = $"WITH w AS (UPDATE {q} SET version = $2, expires_at = $3, value = $4 WHERE key = $1 AND version = $7 AND {Live} RETURNING 1) SELECT pg_notify($5, $6) IS NOT NULL FROM w";

        // Delete reports whether a live record existed (an expired one is removed too, silently).
        Delete = $"WITH d AS (DELETE FROM {q} WHERE key = $1 RETURNING {Live} AS live) SELECT live, pg_notify($2, $3) IS NOT NULL FROM d";
        // Expired or not: a record at the expected version is the one the caller refused (as memory storage does).
        TryDelete = $"WITH d AS (DELETE FROM {q} WHERE key = $1 AND version = $4 RETURNING 1) SELECT pg_notify($2, $3) IS NOT NULL FROM d";

        // Clear in batches of short statements instead of TRUNCATE, whose ACCESS EXCLUSIVE lock would stall every request.
        ClearBatch = $"DELETE FROM {q} WHERE key IN (SELECT key FROM {q} ORDER BY key LIMIT $1)";
        Notify = "SELECT pg_notify($1, $2) IS NOT NULL";

        // Keyset pagination on the primary key: each page is an index range scan, however far the walk has gone.
        EnumerateFirst = $"SELECT key, version, expires_at, value FROM {q} ORDER BY key LIMIT $1";
        EnumerateNext = $"SELECT key, version, expires_at, value FROM {q} WHERE key > $2 ORDER BY key LIMIT $1";

        // SKIP LOCKED: a row a request is writing is left for the next sweep instead of waited for, so the sweep never
        // blocks a request for longer than one small batch and can never be part of a lock cycle (it waits for nobody).
        SweepBatch = $"DELETE FROM {q} WHERE key IN (SELECT key FROM {q} WHERE expires_at <= {Now} ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) AND expires_at <= {Now}";
        TryLock = "SELECT pg_try_advisory_lock($1)";
        Unlock = "SELECT pg_advisory_unlock($1)";

        string index = Quote(Truncate(table, 56) + "_expiry");
        Schema =
            $"""
            CREATE SCHEMA IF NOT EXISTS {Quote(schema)};
            CREATE TABLE IF NOT EXISTS {q} (
                key        text COLLATE "C" PRIMARY KEY,
                version    bigint NOT NULL,
                expires_at bigint,
                value      bytea  NOT NULL
            );
            CREATE INDEX IF NOT EXISTS {index} ON {q} (expires_at) WHERE expires_at IS NOT NULL;
            COMMENT ON COLUMN {q}.expires_at IS 'Unix milliseconds (server clock); NULL never expires. Expired rows are invisible and swept in batches.';
            """;
    }

    public string QualifiedTable { get; }
    public long SweepLockKey { get; }
    public long SchemaLockKey { get; }
    public string Read { get; }
    public string WriteAny { get; }
    public string WriteAbsent { get; }
    public string WriteVersion { get; }
    public string Delete { get; }
    public string TryDelete { get; }
    public string ClearBatch { get; }
    public string Notify { get; }
    public string EnumerateFirst { get; }
    public string EnumerateNext { get; }
    public string SweepBatch { get; }
    public string TryLock { get; }
    public string Unlock { get; }
    public string Schema { get; }

    /// <summary>A double-quoted identifier; names are validated to <c>[a-z_][a-z0-9_]*</c> first, so nothing needs escaping.</summary>
    public static string Quote(string identifier) => "\"" + identifier + "\"";

    /// <summary>True for a name PostgreSQL keeps as written without quoting: lower-case letters, digits and <c>_</c>, at most 63 bytes.</summary>
    public static bool IsPlainIdentifier(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 63) return false;
        if (!(name[0] is (>= 'a' and <= 'z') or '_')) return false;
        foreach (char c in name)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')) return false;
        }

        return true;
    }

    private static string Truncate(string s, int length) => s.Length <= length ? s : s[..length];

    /// <summary>A stable 64-bit advisory lock key for this table, the same on every node and in every process.</summary>
    private static long LockKey(string schema, string table)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("SessionConnector.Postgres/" + schema + "." + table), hash);
        return BinaryPrimitives.ReadInt64LittleEndian(hash) & ~1L;
    }
}
