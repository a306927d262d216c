using System;

namespace SessionConnector.Sealing;

/// <summary>
/// A session sealed for cookies needs more than <see cref="SessionSealerOptions.MaxChunks"/> cookies and no store is
/// configured to take it. Nothing was sent: browsers drop an oversized cookie silently, so the sealer refuses instead.
/// </summary>
public sealed class SessionCookieTooLargeException : Exception
{
    /// <summary>Creates the exception with the sizes involved.</summary>
    /// <param name="sealedBytes">The size of the sealed session (base64url text), in bytes.</param>
    /// <param name="budgetBytes">The room the allowed cookies had for it.</param>
    public SessionCookieTooLargeException(int sealedBytes, int budgetBytes)
        : base($"The session sealed for cookies takes {sealedBytes} bytes, but {budgetBytes} fit in the allowed cookies. " +
            "Store less in the session, raise MaxChunks, or configure a store (SessionSealerOptions.Store) to take large sessions.")
    {
        SealedBytes = sealedBytes;
        BudgetBytes = budgetBytes;
    }

    /// <summary>The size of the sealed session (base64url text), in bytes.</summary>
    public int SealedBytes { get; }

    /// <summary>The room the allowed cookies had for it, in bytes.</summary>
    public int BudgetBytes { get; }
}
