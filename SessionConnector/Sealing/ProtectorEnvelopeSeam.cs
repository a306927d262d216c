using System;
using System.Diagnostics.CodeAnalysis;
using SessionConnector.Protection;

namespace SessionConnector.Sealing;

/// <summary>
/// <see cref="ISealedEnvelopeSeam"/> over a <see cref="SessionProtector"/> of the application's key ring: the same
/// envelope version, epochs, rotation and revocation as stored records.
/// </summary>
internal sealed class ProtectorEnvelopeSeam(SessionKeyRing keys, TimeProvider clock) : ISealedEnvelopeSeam
{
    /// <summary>
    /// The record-version slot of the associated data for every sealed cookie. Stored records are sealed at positive
    /// versions only, so no cookie envelope can be passed off as a stored record (or one as the other) even for the same
    /// context text.
    /// </summary>
    internal const long SealedCookieVersion = long.MinValue + 0x5345414C; // "SEAL"

    private readonly SessionProtector _protector = new(keys, clock);

    public byte[] Seal(string context, ReadOnlySpan<byte> payload) => _protector.Protect(context, SealedCookieVersion, payload);

    public bool TryOpen(string context, ReadOnlySpan<byte> envelope, [NotNullWhen(true)] out byte[]? payload, out bool usedOldKey) =>
        _protector.TryUnprotect(context, SealedCookieVersion, envelope, out payload, out usedOldKey);

    public bool IsFromUnknownKey(ReadOnlySpan<byte> envelope) => _protector.IsFromUnknownKey(envelope);

    public void StartNewEpoch() => _protector.StartNewEpoch();

    public void Dispose() => _protector.Dispose();
}
