using System;
using SessionConnector.Sealing;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>What <see cref="SealedCookieWebOptionsExtensions.UseSealedCookies"/> chose.</summary>
internal sealed record SealedCookieChoice(string Purpose, Action<SessionSealerOptions>? Configure);
