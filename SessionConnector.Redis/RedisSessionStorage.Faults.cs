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

// Fault classification: which exceptions are Redis failures, and the typed SessionStorageException they become.
public sealed partial class RedisSessionStorage
{
    // The client also cancels commands it had queued when their connection drops (a TaskCanceledException the caller
    // never asked for), so a cancellation counts as a Redis failure unless the caller's own token requested it.
    private static bool IsRedisFailure(Exception e, CancellationToken callerToken = default) =>
        e is RedisException or TimeoutException || (e is OperationCanceledException && !callerToken.IsCancellationRequested);

    // RedisTimeoutException is a TimeoutException: OperationTimeout (or ConnectTimeout) ran out, which a caller (and the
    // connector's sessionconnector.storage.timeouts counter) tells apart from an unreachable server by IsTimeout.
    private static SessionStorageException Failure(string operation, Exception inner) =>
        new($"Redis session storage could not {operation}: {inner.Message}", inner)
        {
            StorageKind = "redis",
            Operation = operation,
            IsTimeout = inner is TimeoutException,
        };

    /// <summary><see cref="Failure"/>, counted on the meter.</summary>
    private SessionStorageException Failed(string operation, Exception inner)
    {
        _metrics.Failure(operation);
        return Failure(operation, inner);
    }
}
