using System;
using System.Diagnostics.CodeAnalysis;

namespace SessionConnector.Sealing;

/// <summary>
/// The one place sealed cookies meet the record pipeline: seal and open an envelope (docs/envelope-format.md) for an
/// associated-data context. Kept this small so that it can be pointed at the connector's shared record pipeline without
/// touching the sealer.
/// </summary>
internal interface ISealedEnvelopeSeam : IDisposable
{
    /// <summary>Seals <paramref name="payload"/> under the primary key, bound to <paramref name="context"/>.</summary>
    byte[] Seal(string context, ReadOnlySpan<byte> payload);

    /// <summary>Opens an envelope sealed for <paramref name="context"/>; false for anything that does not authenticate.</summary>
    bool TryOpen(string context, ReadOnlySpan<byte> envelope, [NotNullWhen(true)] out byte[]? payload, out bool usedOldKey);

    /// <summary>True when the envelope names a key id this ring has never held (a rolling key deployment).</summary>
    bool IsFromUnknownKey(ReadOnlySpan<byte> envelope);

    /// <summary>Starts a new encryption epoch (fresh salt and subkey): the call to make after a memory-snapshot restore.</summary>
    void StartNewEpoch();
}
