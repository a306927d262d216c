using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace SessionConnector;

/// <summary>Throw helpers keep hot paths small enough to inline.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void NotConfigured() => throw new SessionStorageConnectorException(
        "SessionConnector is not configured. Call Sessions.Configure(storage, options) once at start-up before using it.");

    [DoesNotReturn]
    public static void Closed() => throw new SessionStorageConnectorException(
        "The session connector has been closed; configure a new one to keep using sessions.");

    [DoesNotReturn]
    public static void InvalidId(string reason) => throw new InvalidSessionIdException("Invalid session ID: " + reason);

    [DoesNotReturn]
    public static void ArgumentNull(string name) => throw new ArgumentNullException(name);

    [DoesNotReturn]
    public static void BadExpiry(TimeSpan expiry) => throw new ArgumentOutOfRangeException(
        // The value in seconds, not as the exception's actual value: boxing a TimeSpan there links TimeSpan formatting into
        // every NativeAOT app that calls Set (its ToString is reachable from any boxed TimeSpan).
        "expiry", string.Create(CultureInfo.InvariantCulture, $"Session expiry must be positive (greater than zero); it was {expiry.TotalSeconds} s."));

    [DoesNotReturn]
    public static void Conflict(int attempts) => throw new SessionConflictException(
        $"The session changed concurrently on each of {attempts} attempts; the update was not applied.");
}
