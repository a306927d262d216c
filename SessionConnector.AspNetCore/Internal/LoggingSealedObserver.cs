using System;
using Microsoft.Extensions.Logging;
using SessionConnector.Sealing;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>Sealed-cookie events as log lines with stable event ids (20-29, apart from the stored-session ids).</summary>
internal sealed class LoggingSealedObserver(ILogger logger) : SealedSessionObserver
{
    private static readonly Action<ILogger, int, int, Exception?> s_spilled = LoggerMessage.Define<int, int>(
        LogLevel.Information, new EventId(20, "SealedSessionSpilled"),
        "A sealed session of {SealedBytes} bytes did not fit in its cookies ({BudgetBytes} bytes); it was stored and the cookie holds a reference.");

    private static readonly Action<ILogger, int, int, Exception?> s_refused = LoggerMessage.Define<int, int>(
        LogLevel.Error, new EventId(21, "SealedSessionRefused"),
        "A sealed session of {SealedBytes} bytes does not fit in its cookies ({BudgetBytes} bytes) and no store is configured; the response is a 500 and no cookie was sent.");

    private static readonly Action<ILogger, SealedSessionStatus, Exception?> s_rejected = LoggerMessage.Define<SealedSessionStatus>(
        LogLevel.Debug, new EventId(22, "SealedCookieRejected"),
        "A presented sealed session cookie did not open ({Status}); the request gets a fresh session.");

    public override void SessionSpilled(int sealedBytes, int budgetBytes) => s_spilled(logger, sealedBytes, budgetBytes, null);

    public override void SessionRefused(int sealedBytes, int budgetBytes) => s_refused(logger, sealedBytes, budgetBytes, null);

    public override void CookieRejected(SealedSessionStatus status) => s_rejected(logger, status, null);
}
