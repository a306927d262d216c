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

// Script execution: the key's primary, following cluster MOVED redirects, and WAIT for replicas.
public sealed partial class RedisSessionStorage
{
    /// <summary>Runs a one-key script; with <see cref="WaitForReplicas"/>, returns only once the replicas confirmed what it changed.</summary>
    private async ValueTask<long> EvaluateCore(string operation, RedisScript script, string key, RedisValue[] args, bool async, CancellationToken cancellationToken)
    {
        RedisKey redisKey = RedisKeyFor(key);
        try
        {
            if (_waitForReplicas == 0)
            {
                RedisResult result = async
                    ? await _database.ScriptEvaluateAsync(script.Text, [redisKey], args).WaitAsync(cancellationToken).ConfigureAwait(false)
                    : _database.ScriptEvaluate(script.Text, [redisKey], args);
                return (long)result;
            }

            // WAIT confirms the writes made on the connection it runs on, so the script and the WAIT go to the same
            // server object (one connection per server). The script declines the client's automatic redirect, which
            // would run it on another node than the WAIT; a MOVED is followed here instead, WAIT included.
            IServer server = PrimaryFor(redisKey, operation);
            long changed;
            for (int redirects = 0; ; redirects++)
            {
                try
                {
                    changed = await EvaluateOnServer(server, script, redisKey, args, async, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (RedisServerException e) when (redirects < MaxRedirects && MovedTo(e) is { } target)
                {
                    // The slot moved (a failover): the script did not run. Run it, and WAIT, where the cluster says.
                    server = target;
                }
            }

            if (changed > 0) await ConfirmReplicated(server, operation, async, cancellationToken).ConfigureAwait(false);
            return changed;
        }
        catch (Exception e) when (IsRedisFailure(e, cancellationToken))
        {
            throw Failed(operation, e);
        }
    }

    private const int MaxRedirects = 2;

    private IServer PrimaryFor(RedisKey key, string operation)
    {
        try
        {
            return _multiplexer.GetServer(key, flags: CommandFlags.DemandMaster);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            // No primary known for the slot (cluster down, mid-failover) or a proxy that cannot name one: a Redis
            // failure like any other, never a raw exception.
            throw Failed(operation, e);
        }
    }

    /// <summary>
    /// The server a redirect names: the client words a declined <c>MOVED slot host:port</c> as "Key has MOVED to
    /// Endpoint host:port and hashslot N ...". Null for any other error or an unknown server.
    /// </summary>
    private IServer? MovedTo(RedisServerException e)
    {
        const string Client = "Key has MOVED to Endpoint ";
        string message = e.Message;
        string? endpoint = null;
        if (message.StartsWith(Client, StringComparison.Ordinal))
        {
            int end = message.IndexOf(' ', Client.Length);
            endpoint = end < 0 ? null : message[Client.Length..end];
        }
        else if (message.StartsWith("MOVED ", StringComparison.Ordinal))
        {
            endpoint = message[(message.LastIndexOf(' ') + 1)..];
        }

        if (endpoint is null) return null;
        try
        {
            return _multiplexer.GetServer(endpoint);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static async ValueTask<long> EvaluateOnServer(IServer server, RedisScript script, RedisKey key, RedisValue[] args, bool async, CancellationToken cancellationToken)
    {
        var arguments = new object[3 + args.Length];
        arguments[0] = script.Sha1;
        arguments[1] = 1;
        arguments[2] = key;
        for (int i = 0; i < args.Length; i++) arguments[3 + i] = args[i];
        try
        {
            return (long)await Execute(server, "EVALSHA", arguments, async, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // This server has not seen the script yet (a new or promoted node): send it once in full.
            arguments[0] = script.Text;
            return (long)await Execute(server, "EVAL", arguments, async, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask ConfirmReplicated(IServer server, string operation, bool async, CancellationToken cancellationToken)
    {
        long confirmed = (long)await Execute(server, "WAIT", _waitArguments, async, cancellationToken).ConfigureAwait(false);
        if (confirmed >= _waitForReplicas) return;
        _metrics.UnconfirmedWrite();
        throw Failed(operation, new SessionStorageException(
            $"{confirmed} of {_waitForReplicas} replicas confirmed it within {_waitArguments[1]} ms. It was applied on the primary ({server.EndPoint}) and may be lost if that primary fails before it replicates."));
    }

    private static async ValueTask<RedisResult> Execute(IServer server, string command, object[] arguments, bool async, CancellationToken cancellationToken)
    {
        RedisResult? result = async
            ? await server.ExecuteAsync(command, arguments, CommandFlags.NoRedirect).WaitAsync(cancellationToken).ConfigureAwait(false)
            : server.Execute(command, arguments, CommandFlags.NoRedirect);
        // During a failover the client can complete a command on a dying connection with no reply at all; that is a
        // failed command (a typed storage error for the caller), not a result to convert.
        return result ?? throw new RedisConnectionException(ConnectionFailureType.SocketFailure, $"{command} got no reply from {server.EndPoint}.");
    }
}
