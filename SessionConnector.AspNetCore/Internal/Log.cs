using System;
using Microsoft.Extensions.Logging;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>
/// Every log line of the package with a stable event id (LoggerMessage.Define: no generator needed on net8.0, no
/// boxing, and message templates parsed once).
/// </summary>
internal static class Log
{
    public const string Category = "SessionConnector";

    private static readonly Action<ILogger, string, Exception?> s_developmentKey = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(1, "DevelopmentKeyInUse"),
        "SessionConnector is encrypting sessions with a development key ({Description}). Never use it in production: configure SessionConnector:Keys or SESSIONCONNECTOR_KEYS.");

    private static readonly Action<ILogger, string, Exception?> s_recordRejected = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(2, "RecordRejected"),
        "A stored session record was rejected ({Reason}) and read as absent.");

    private static readonly Action<ILogger, string, Exception?> s_storageFailed = LoggerMessage.Define<string>(
        LogLevel.Error, new EventId(3, "StorageFailed"),
        "Session storage operation '{Operation}' failed.");

    private static readonly Action<ILogger, string, Exception?> s_storageUnavailable = LoggerMessage.Define<string>(
        LogLevel.Error, new EventId(4, "StorageUnavailable"),
        "Session storage is unavailable; answering {Path} with 503.");

    private static readonly Action<ILogger, string, Exception?> s_conflict = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(5, "CommitConflict"),
        "A session commit lost to a concurrent change that could not be merged; answering {Path} with 409 and writing nothing.");

    private static readonly Action<ILogger, Exception?> s_deleted = LoggerMessage.Define(
        LogLevel.Information, new EventId(6, "SessionDeletedMeanwhile"),
        "The session was signed out by another request while this one used it; its changes were dropped and the cookie expired.");

    private static readonly Action<ILogger, Exception?> s_noKey = LoggerMessage.Define(
        LogLevel.Critical, new EventId(7, "NoKeyConfigured"),
        "No session encryption key is configured outside Development: set SessionConnector:Keys (configuration) or SESSIONCONNECTOR_KEYS (environment). Refusing to start.");

    private static readonly Action<ILogger, double, Exception?> s_staleServed = LoggerMessage.Define<double>(
        LogLevel.Warning, new EventId(23, "StaleSessionServed"),
        "Session storage failed; served a cached session last confirmed {AgeSeconds:0.###} s ago (FailSafeMaxStaleness).");

    public static void StaleSessionServed(ILogger logger, TimeSpan age, Exception cause) => s_staleServed(logger, age.TotalSeconds, cause);

    public static void DevelopmentKeyInUse(ILogger logger, string description) => s_developmentKey(logger, description, null);

    public static void RecordRejected(ILogger logger, string reason) => s_recordRejected(logger, reason, null);

    public static void StorageFailed(ILogger logger, string operation, Exception exception) => s_storageFailed(logger, operation, exception);

    public static void StorageUnavailable(ILogger logger, string path, Exception exception) => s_storageUnavailable(logger, path, exception);

    public static void CommitConflict(ILogger logger, string path, Exception? exception) => s_conflict(logger, path, exception);

    public static void SessionDeletedMeanwhile(ILogger logger) => s_deleted(logger, null);

    public static void NoKeyConfigured(ILogger logger, Exception exception) => s_noKey(logger, exception);
}
