using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Internal;
using SessionConnector.Redis.Internal;
using SessionConnector.Storage;
using StackExchange.Redis;

namespace SessionConnector.Redis;

// Records: read, compare-and-set write and delete, and the script arguments and hash fields they use.
public sealed partial class RedisSessionStorage
{
    // ---- records ------------------------------------------------------------------------------------------
    // Each operation is written once, as a core taking `bool async` (System.Net.Http's SendAsync pattern): the sync
    // twin runs it with async: false, where nothing awaits an incomplete task, so it completes synchronously and the
    // ValueTask allocates nothing.

    /// <inheritdoc />
    public override StoredRecord? Read(string key) => Sync.Result(ReadCore(key, async: false, default));

    /// <inheritdoc />
    public override ValueTask<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => ReadCore(key, async: true, cancellationToken);

    private async ValueTask<StoredRecord?> ReadCore(string key, bool async, CancellationToken cancellationToken)
    {
        RedisKey redisKey = RedisKeyFor(key);
        RedisValue[] fields;
        try
        {
            fields = async
                ? await _database.HashGetAsync(redisKey, s_recordFields).WaitAsync(cancellationToken).ConfigureAwait(false)
                : _database.HashGet(redisKey, s_recordFields);
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failed("read", e);
        }

        return ToRecord(fields);
    }

    /// <inheritdoc />
    /// <exception cref="SessionStorageException">Redis failed, or (with <see cref="RedisSessionStorageOptions.WaitForReplicas"/>) the replicas did not confirm the write in time.</exception>
    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion) =>
        Sync.Result(EvaluateCore("write", RedisScripts.Write, key, WriteArguments(key, value, expiresAt, expectedVersion, newVersion), async: false, default)) == 1;

    /// <inheritdoc />
    /// <remarks>Cancellation stops the wait, not the command: a cancelled write may still have been applied.</remarks>
    public override async ValueTask<bool> TryWriteAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RedisValue[] args = WriteArguments(key, value, expiresAt, expectedVersion, newVersion);
        return await EvaluateCore("write", RedisScripts.Write, key, args, async: true, cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public override bool Delete(string key) => Sync.Result(EvaluateCore("delete", RedisScripts.Delete, key, DeleteArguments(key), async: false, default)) > 0;

    /// <inheritdoc />
    public override async ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await EvaluateCore("delete", RedisScripts.Delete, key, DeleteArguments(key), async: true, cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public override bool TryDelete(string key, long expectedVersion) =>
        Sync.Result(EvaluateCore("delete", RedisScripts.TryDelete, key, TryDeleteArguments(key, expectedVersion), async: false, default)) == 1;

    /// <inheritdoc />
    public override async ValueTask<bool> TryDeleteAsync(string key, long expectedVersion, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await EvaluateCore("delete", RedisScripts.TryDelete, key, TryDeleteArguments(key, expectedVersion), async: true, cancellationToken).ConfigureAwait(false) == 1;
    }

    private RedisValue[] TryDeleteArguments(string key, long expectedVersion) =>
        [expectedVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), _channelName, InvalidationMessage.ForKey(_nodeId, key, 0)];


    private RedisValue[] WriteArguments(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (newVersion <= 0) throw new ArgumentOutOfRangeException(nameof(newVersion), newVersion, "Versions are positive.");
        if (expectedVersion < AnyVersion) throw new ArgumentOutOfRangeException(nameof(expectedVersion), expectedVersion, "Unknown expected version.");
        // 0 means "no expiry" to the script, so an expiry at the epoch itself becomes 1 ms after it (already past either way).
        long expiresMs = expiresAt is { } at ? Math.Max(at.ToUnixTimeMilliseconds(), 1) : 0;
        return
        [
            expectedVersion.ToString(CultureInfo.InvariantCulture),
            newVersion.ToString(CultureInfo.InvariantCulture),
            value,
            expiresMs.ToString(CultureInfo.InvariantCulture),
            _channelName,
            InvalidationMessage.ForKey(_nodeId, key, newVersion),
        ];
    }

    private RedisValue[] DeleteArguments(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return [_channelName, InvalidationMessage.ForKey(_nodeId, key, 0)];
    }

    private static StoredRecord? ToRecord(RedisValue[] fields)
    {
        if (fields.Length != 3 || fields[0].IsNull) return null;
        if (!long.TryParse((string?)fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long version) || version <= 0)
        {
            throw new SessionStorageException("A Redis session record has no valid version; another program may be writing under this key prefix.");
        }

        long expiresMs = fields[2].IsNull ? 0 : long.TryParse((string?)fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long ms) ? ms : 0;
        DateTimeOffset? expiresAt = expiresMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(expiresMs) : null;
        return new StoredRecord((byte[])fields[0]!, version, expiresAt);
    }
}
