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

    private static readonly Action<ILogger, string, Exception?> s_started = LoggerMessage.Define<string>(
        LogLevel.Information, new EventId(8, "SessionStarted"),
        "Session {Session} started.");

    private static readonly Action<ILogger, string, Exception?> s_stored = LoggerMessage.Define<string>(
        LogLevel.Debug, new EventId(9, "SessionStored"),
        "Session {Session} stored.");

    private static readonly Action<ILogger, string, Exception?> s_expired = LoggerMessage.Define<string>(
        LogLevel.Information, new EventId(10, "SessionExpired"),
        "The presented session {Session} has expired, was signed out or never existed; a new session starts if this request saves one.");

    private static readonly Action<ILogger, string, string, Exception?> s_renewed = LoggerMessage.Define<string, string>(
        LogLevel.Information, new EventId(11, "SessionRenewed"),
        "Session {Session} renewed as {NewSession}; the old ID is deleted.");

    private static readonly Action<ILogger, string, Exception?> s_signedOut = LoggerMessage.Define<string>(
        LogLevel.Information, new EventId(12, "SessionSignedOut"),
        "Session {Session} signed out.");

    private static readonly Action<ILogger, int, Exception?> s_ambiguous = LoggerMessage.Define<int>(
        LogLevel.Warning, new EventId(13, "AmbiguousSessionCookie"),
        "The request carried {Count} different session cookies (a sibling subdomain or a stale path can plant one); it is treated as having no session.");

    private static readonly Action<ILogger, Exception?> s_secureOverHttp = LoggerMessage.Define(
        LogLevel.Warning, new EventId(14, "SecureCookieOverHttp"),
        "The session cookie is Secure but this request came over plain HTTP: clients will not send it back, so every request starts a new session. " +
        "For plain-HTTP development set SessionConnector:Cookie:SecurePolicy to SameAsRequest (the Development default); behind a TLS-terminating proxy this is expected.");

    private static readonly Action<ILogger, string, string, Exception?> s_renewFailed = LoggerMessage.Define<string, string>(
        LogLevel.Warning, new EventId(15, "RenewFailed"),
        "Renewing session {Session} failed ({Outcome}); the old ID is deleted anyway and the request fails with 409.");

    private static readonly Action<ILogger, string, Exception?> s_discarded = LoggerMessage.Define<string>(
        LogLevel.Debug, new EventId(16, "SessionChangesDiscarded"),
        "The request failed ({Reason}); its session changes are discarded and no cookie is issued.");

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

    public static void SessionStarted(ILogger logger, string session) => s_started(logger, session, null);

    public static void SessionStored(ILogger logger, string session) => s_stored(logger, session, null);

    public static void SessionExpired(ILogger logger, string session) => s_expired(logger, session, null);

    public static void SessionRenewed(ILogger logger, string session, string newSession) => s_renewed(logger, session, newSession, null);

    public static void SessionSignedOut(ILogger logger, string session) => s_signedOut(logger, session, null);

    public static void AmbiguousSessionCookie(ILogger logger, int count) => s_ambiguous(logger, count, null);

    public static void SecureCookieOverHttp(ILogger logger) => s_secureOverHttp(logger, null);

    public static void RenewFailed(ILogger logger, string session, string outcome) => s_renewFailed(logger, session, outcome, null);

    public static void SessionChangesDiscarded(ILogger logger, string reason) => s_discarded(logger, reason, null);

    public static void NoKeyConfigured(ILogger logger, Exception exception) => s_noKey(logger, exception);
}
