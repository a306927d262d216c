using System;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading;
using Npgsql;

namespace SessionConnector.Postgres.Tests.Support;

/// <summary>Builds storages and connectors over a test server, each test with its own table.</summary>
public static class TestNodes
{
    public static string NewTable() => "t" + Convert.ToHexString(RandomNumberGenerator.GetBytes(5)).ToLowerInvariant();

    public static PostgresSessionStorageOptions Options(PostgresServer server, string table) => new()
    {
        ConnectionString = server.ConnectionString,
        TableName = table,
        OperationTimeout = TimeSpan.FromSeconds(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        // The background sweep is off unless a test is about it: it would delete rows a test is looking at.
        SweepInterval = Timeout.InfiniteTimeSpan,
    };

    /// <summary>A storage with its own data source (as a separate node has), its table created.</summary>
    public static PostgresSessionStorage Storage(PostgresServer server, string table, Action<PostgresSessionStorageOptions>? configure = null)
    {
        PostgresSessionStorageOptions options = Options(server, table);
        configure?.Invoke(options);
        PostgresSessionStorage storage = PostgresSessionStorage.Connect(options);
        storage.EnsureSchema();
        return storage;
    }

    public static long Scalar(PostgresServer server, string sql)
    {
        using NpgsqlCommand command = server.Admin.CreateCommand(sql);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
