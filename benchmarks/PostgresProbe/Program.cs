using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;
using SessionConnector;
using SessionConnector.Postgres;
using SessionConnector.Storage;

// Interleaved A/B rounds on one table and one data source: each round runs the storage path and the raw Npgsql path
// back to back (order alternating), so load on the machine hits both alike; the figure is the ratio of medians.
string connectionString = Environment.GetEnvironmentVariable("SESSIONCONNECTOR_POSTGRES")
    ?? throw new InvalidOperationException("Set SESSIONCONNECTOR_POSTGRES (eval \"$(bash scripts/postgres-test-server.sh)\").");
int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 12;
int perRound = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 400;
string table = "bench_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();

await using PostgresSessionStorage storage = await PostgresSessionStorage.ConnectAsync(new PostgresSessionStorageOptions
{
    ConnectionString = connectionString, TableName = table, SweepInterval = Timeout.InfiniteTimeSpan,
});
await storage.EnsureSchemaAsync();
NpgsqlDataSource raw = storage.DataSource;
string key = new('b', 43);
byte[] value = RandomNumberGenerator.GetBytes(200);
await storage.TryWriteAsync(key, value, DateTimeOffset.UtcNow.AddHours(1), SessionStorage.AnyVersion, 1);

string select = $"SELECT version, expires_at, value FROM \"public\".\"{table}\" WHERE key = $1";

// Warm both paths (connections opened, plans cached).
for (int i = 0; i < 200; i++)
{
    await storage.ReadAsync(key);
    await RawSelect();
}

async Task RawSelect()
{
    await using NpgsqlCommand command = raw.CreateCommand(select);
    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Text });
    await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
    if (!await reader.ReadAsync()) throw new InvalidOperationException("row missing");
    _ = new StoredRecord(reader.GetFieldValue<byte[]>(2), reader.GetInt64(0), reader.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
}

long version = 1;
string update = $"UPDATE \"public\".\"{table}\" SET version = $2, expires_at = $3, value = $4 WHERE key = $1 AND version = $5";
async Task RawUpdate()
{
    await using NpgsqlCommand command = raw.CreateCommand(update);
    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Text });
    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version + 1, NpgsqlDbType = NpgsqlDbType.Bigint });
    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds(), NpgsqlDbType = NpgsqlDbType.Bigint });
    command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bytea });
    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version, NpgsqlDbType = NpgsqlDbType.Bigint });
    if (await command.ExecuteNonQueryAsync() != 1) throw new InvalidOperationException("raw update refused");
    version++;
}

// The raw UPDATE with the same pg_notify in the same statement: splits the write's cost into NOTIFY and the rest.
string updateNotify = $"WITH w AS ({update} RETURNING 1) SELECT pg_notify($6, $7) IS NOT NULL FROM w";
async Task RawUpdateNotify()
{
    await using NpgsqlCommand command = raw.CreateCommand(updateNotify);
    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Text });
    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version + 1, NpgsqlDbType = NpgsqlDbType.Bigint });
    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds(), NpgsqlDbType = NpgsqlDbType.Bigint });
    command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bytea });
    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version, NpgsqlDbType = NpgsqlDbType.Bigint });
    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = storage.NotifyChannel, NpgsqlDbType = NpgsqlDbType.Text });
    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "raw:" + key, NpgsqlDbType = NpgsqlDbType.Text });
    await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
    if (!await reader.ReadAsync()) throw new InvalidOperationException("raw update refused");
    version++;
}

async Task StorageWrite()
{
    if (!await storage.TryWriteAsync(key, value, DateTimeOffset.UtcNow.AddHours(1), version, version + 1)) throw new InvalidOperationException("storage write refused");
    version++;
}

async Task StorageRead()
{
    if (await storage.ReadAsync(key) is null) throw new InvalidOperationException("row missing");
}

// A connector miss: no cache (CacheMaxAge zero), so every Get reads storage and decrypts.
byte[] secret = RandomNumberGenerator.GetBytes(32);
await using var missConnector = new SessionStorageConnector(storage, new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(secret), CacheMaxAge = TimeSpan.Zero });
string sessionId = SessionStorageConnector.GenerateId();
await missConnector.SetAsync(sessionId, new SessionBag { ["n"] = 0L, ["name"] = new string('x', 150) });
async Task ConnectorMiss()
{
    if (await missConnector.GetAsync<SessionBag>(sessionId) is null) throw new InvalidOperationException("session missing");
}

Console.WriteLine($"PostgresProbe: {rounds} interleaved rounds x {perRound} ops, table {table}, {Environment.ProcessorCount} cores, {DateTime.UtcNow:u}");
await Compare("storage ReadAsync (hit in the table, no cache)", StorageRead, "raw SELECT of the same row", RawSelect);
await Compare("connector GetAsync miss (read + decrypt)", ConnectorMiss, "raw SELECT of the same row", RawSelect);
await Compare("storage TryWriteAsync (CAS + NOTIFY)", StorageWrite, "raw UPDATE ... WHERE version = $v", RawUpdate);
await Compare("storage TryWriteAsync (CAS + NOTIFY)", StorageWrite, "raw UPDATE ... WHERE version = $v + the same pg_notify", RawUpdateNotify);
await Compare("raw UPDATE + pg_notify", RawUpdateNotify, "raw UPDATE ... WHERE version = $v", RawUpdate);

foreach (int writers in new[] { 2, 8 }) await Counters(writers);
return 0;

async Task Compare(string nameA, Func<Task> a, string nameB, Func<Task> b)
{
    var timesA = new List<double>();
    var timesB = new List<double>();
    for (int round = 0; round < rounds; round++)
    {
        bool aFirst = round % 2 == 0;
        double first = await Time(aFirst ? a : b);
        double second = await Time(aFirst ? b : a);
        timesA.Add(aFirst ? first : second);
        timesB.Add(aFirst ? second : first);
    }

    double ma = Median(timesA), mb = Median(timesB);
    var ratios = timesA.Zip(timesB, (x, y) => x / y).ToList();
    Console.WriteLine($"  {nameA}: {ma:F1} us/op (median of rounds)  vs  {nameB}: {mb:F1} us/op  ->  ratio {ma / mb:F2} (per-round ratios median {Median(ratios):F2}, min {ratios.Min():F2}, max {ratios.Max():F2})");
}

async Task<double> Time(Func<Task> op)
{
    var watch = Stopwatch.StartNew();
    for (int i = 0; i < perRound; i++) await op();
    return watch.Elapsed.TotalMicroseconds / perRound;
}

// Exactly-once counters: `writers` tasks over two connectors (two nodes: own storage, own pool, own cache) increment
// one session; the final count must equal the increments.
async Task Counters(int writers)
{
    PostgresSessionStorage second = await PostgresSessionStorage.ConnectAsync(new PostgresSessionStorageOptions
    {
        ConnectionString = connectionString, TableName = table, SweepInterval = Timeout.InfiniteTimeSpan,
    });
    var options = new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(secret) };
    await using var nodeB = new SessionStorageConnector(second, options);
    var nodeA = new SessionStorageConnector(storage, options);
    string id = SessionStorageConnector.GenerateId();
    await nodeA.SetAsync(id, new SessionBag { ["n"] = 0L });
    var stop = Stopwatch.StartNew();
    long done = 0;
    TimeSpan duration = TimeSpan.FromSeconds(3);
    await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
    {
        SessionStorageConnector node = w % 2 == 0 ? nodeA : nodeB;
        while (stop.Elapsed < duration)
        {
            if (!await node.UpdateAsync<SessionBag>(id, bag => bag["n"] = (long)bag["n"]! + 1)) throw new InvalidOperationException("session vanished");
            Interlocked.Increment(ref done);
        }
    })));
    double seconds = stop.Elapsed.TotalSeconds;
    await using var check = new SessionStorageConnector(await PostgresSessionStorage.ConnectAsync(new PostgresSessionStorageOptions
    {
        ConnectionString = connectionString, TableName = table, SweepInterval = Timeout.InfiniteTimeSpan,
    }), new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(secret), CacheMaxAge = TimeSpan.Zero });
    long final = (long)(await check.GetAsync<SessionBag>(id))!["n"]!;
    Console.WriteLine($"  exactly-once counter, one hot session, {writers} writers on 2 nodes: {done / seconds:F0} increments/s over {seconds:F1} s; final {final} of {done} {(final == done ? "(exact)" : "(MISMATCH)")}");
    if (final != done) Environment.Exit(2);
}

static double Median(List<double> xs)
{
    var s = xs.OrderBy(x => x).ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}
