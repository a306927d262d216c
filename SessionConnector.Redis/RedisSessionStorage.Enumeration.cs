using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis.Internal;
using SessionConnector.Storage;
using StackExchange.Redis;

namespace SessionConnector.Redis;

// Store maintenance: SCAN over this application's keys (never KEYS) and a compare-and-set delete in Lua.
public sealed partial class RedisSessionStorage
{
    /// <summary>
    /// KEYS[1] record; ARGV: 1 expected version ('0' matches a hash without a valid version), 2 channel, 3 invalidation
    /// message. Compares and deletes in one atomic step, so a write that lands after the maintenance read always wins.
    /// </summary>
    /// <inheritdoc />
    /// <remarks>
    /// <c>SCAN</c>s every primary for this prefix followed by exactly a storage key (base64url, no <c>:</c>), so another
    /// application's keys under a longer prefix (<c>sc:admin:…</c>) are never touched, then fetches each batch of records
    /// in one pipelined round trip. A key that expires or is deleted between the scan and the fetch is skipped.
    /// </remarks>
    public override async IAsyncEnumerable<KeyValuePair<string, StoredRecord>> EnumerateAsync(int batchSize = 256, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ValidateBatchSize(batchSize);
        RedisValue pattern = ScanPattern();
        var keys = new List<RedisKey>(batchSize);
        foreach (IServer server in PrimaryServers())
        {
            IAsyncEnumerator<RedisKey> scan = server.KeysAsync(_database.Database, pattern, batchSize).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await scan.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (Exception e) when (IsRedisFailure(e, cancellationToken))
                    {
                        throw Failure("scan", e);
                    }

                    if (more && StorageKeyOf(scan.Current) is not null) keys.Add(scan.Current);
                    if (keys.Count == batchSize || (!more && keys.Count > 0))
                    {
                        foreach (KeyValuePair<string, StoredRecord> entry in await FetchAsync(keys, cancellationToken).ConfigureAwait(false))
                        {
                            yield return entry;
                        }

                        keys.Clear();
                    }

                    if (!more) break;
                }
            }
            finally
            {
                await scan.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<List<KeyValuePair<string, StoredRecord>>> FetchAsync(List<RedisKey> keys, CancellationToken cancellationToken)
    {
        var reads = new Task<RedisValue[]>[keys.Count];
        for (int i = 0; i < keys.Count; i++) reads[i] = _database.HashGetAsync(keys[i], s_recordFields);
        try
        {
            await Task.WhenAll(reads).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failure("read", e);
        }

        var records = new List<KeyValuePair<string, StoredRecord>>(keys.Count);
        for (int i = 0; i < keys.Count; i++)
        {
            RedisValue[] fields = reads[i].Result;
            if (fields.Length != 3 || fields[0].IsNull) continue; // expired or deleted since the scan
            StoredRecord record;
            try
            {
                record = ToRecord(fields)!.Value;
            }
            catch (SessionStorageException)
            {
                // No valid version: report it as an unparseable container (version 0) instead of failing the whole walk.
                record = new StoredRecord((byte[])fields[0]!, 0, null);
            }

            records.Add(new KeyValuePair<string, StoredRecord>(StorageKeyOf(keys[i])!, record));
        }

        return records;
    }

    /// <summary>The storage key inside a Redis key of this prefix, or null when the rest is not a storage key.</summary>
    private string? StorageKeyOf(RedisKey redisKey)
    {
        string? full = redisKey;
        if (full is null || !full.StartsWith(_keyPrefix, StringComparison.Ordinal)) return null;
        string key = full[_keyPrefix.Length..];
        if (key.Length is 0 or > 128) return null;
        foreach (char c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return null;
        }

        return key;
    }
}
