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

// Clearing the store: SCAN over every primary for this storage's keys, batched deletes; Flush is a no-op.
public sealed partial class RedisSessionStorage
{
    /// <inheritdoc />
    /// <remarks>
    /// Walks the key space with SCAN (never KEYS) on every primary, deletes the keys of exactly this storage's shape
    /// (the prefix, then a 43-character storage key: another application whose prefix merely starts with this one is
    /// untouched) and tells other nodes to empty their caches.
    /// </remarks>
    public override void Clear() => Sync.Wait(ClearCore(async: false, default));

    /// <inheritdoc />
    public override ValueTask ClearAsync(CancellationToken cancellationToken = default) => ClearCore(async: true, cancellationToken);

    private async ValueTask ClearCore(bool async, CancellationToken cancellationToken)
    {
        try
        {
            RedisValue pattern = ScanPattern();
            var batch = new List<Task>(ClearBatchSize);
            foreach (IServer server in PrimaryServers())
            {
                if (async)
                {
                    await foreach (RedisKey key in server.KeysAsync(_database.Database, pattern, ClearBatchSize).WithCancellation(cancellationToken).ConfigureAwait(false))
                    {
                        await DeleteInBatch(batch, key, async, cancellationToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    foreach (RedisKey key in server.Keys(_database.Database, pattern, ClearBatchSize))
                    {
                        await DeleteInBatch(batch, key, async, cancellationToken).ConfigureAwait(false);
                    }
                }

                await WaitBatch(batch, async, cancellationToken).ConfigureAwait(false);
                // The deletes went over this server's connection, so one WAIT there confirms all of them.
                if (_waitForReplicas > 0) await ConfirmReplicated(server, "clear", async, cancellationToken).ConfigureAwait(false);
            }

            RedisChannel channel = RedisChannel.Literal(ChannelName);
            string message = InvalidationMessage.ForAll(_nodeId);
            if (async) await _database.PublishAsync(channel, message).WaitAsync(cancellationToken).ConfigureAwait(false);
            else _database.Publish(channel, message);
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failed("clear", e);
        }
    }

    private ValueTask DeleteInBatch(List<Task> batch, RedisKey key, bool async, CancellationToken cancellationToken)
    {
        // SCAN MATCH already filters by shape; the check here keeps Clear exact even against a glob surprise.
        if (!TryGetStorageKey(key, out _)) return default;
        // Pipelined single-key deletes: safe on a cluster, where one multi-key DEL may span slots.
        batch.Add(_database.KeyDeleteAsync(key));
        return batch.Count == ClearBatchSize ? WaitBatch(batch, async, cancellationToken) : default;
    }

    private static async ValueTask WaitBatch(List<Task> batch, bool async, CancellationToken cancellationToken)
    {
        if (batch.Count == 0) return;
        Task all = Task.WhenAll(batch);
        if (async) await all.WaitAsync(cancellationToken).ConfigureAwait(false);
        // The one place a sync path blocks on a task: the sync Clear pipelines its deletes (one round trip a batch, not
        // one a key). Blocking is safe: the client completes these tasks from its own socket reader, never on this
        // thread or a context it holds, which is how StackExchange.Redis's sync commands wait for their replies too.
        else all.GetAwaiter().GetResult();
        batch.Clear();
    }

    /// <inheritdoc />
    /// <remarks>Redis writes through; there is nothing to flush.</remarks>
    public override void Flush() { }

    /// <inheritdoc />
    /// <remarks>Redis writes through; there is nothing to flush.</remarks>
    public override ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return default;
    }

    private IEnumerable<IServer> PrimaryServers()
    {
        foreach (IServer server in _multiplexer.GetServers())
        {
            if (!server.IsReplica) yield return server;
        }
    }

    /// <summary>
    /// The SCAN pattern of this storage's records: the prefix with glob metacharacters escaped, then exactly 43
    /// base64url characters. A bare <c>prefix*</c> would also match another application whose prefix starts with ours.
    /// </summary>
    private RedisValue ScanPattern()
    {
        const string StorageKeyChar = "[-_0-9A-Za-z]";
        var pattern = new StringBuilder(_keyPrefix.Length * 2 + StorageKeyLength * StorageKeyChar.Length);
        foreach (char c in _keyPrefix)
        {
            if (c is '*' or '?' or '[' or ']' or '\\') pattern.Append('\\');
            pattern.Append(c);
        }

        for (int i = 0; i < StorageKeyLength; i++) pattern.Append(StorageKeyChar);
        return pattern.ToString();
    }
}
