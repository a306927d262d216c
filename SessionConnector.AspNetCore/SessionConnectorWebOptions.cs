using System;
using SessionConnector.Storage;

namespace SessionConnector.AspNetCore;

/// <summary>Options of <c>AddSessionConnector</c>: the connector, the per-request session rules, the cookie and the storage.</summary>
public sealed class SessionConnectorWebOptions
{
    /// <summary>
    /// The connector's options (keys, format, cache, clock). <see cref="SessionConnectorOptions.Observer"/> and
    /// <see cref="SessionConnectorOptions.MeterFactory"/> are filled from the host (<c>ILogger</c>, <c>IMeterFactory</c>)
    /// unless set here.
    /// </summary>
    public SessionConnectorOptions Connector { get; } = new();

    /// <summary>Per-request rules: absolute lifetime (default 1 day), idle timeout, conflict policy (default merge).</summary>
    public SessionStoreOptions Session { get; } = new();

    /// <summary>The session cookie.</summary>
    public SessionCookieOptions Cookie { get; } = new();

    /// <summary>
    /// The app-wide header transport (null, the default: the cookie). Route groups can choose it alone with
    /// <c>.WithSessionHeader()</c>. See <see cref="SessionTokenHeader"/>.
    /// </summary>
    public SessionTokenHeader? HeaderTransport { get; set; }

    /// <summary>
    /// How long a resume token (<see cref="RequestSession{T}.IssueResumeTokenAsync"/>) can be redeemed: default two
    /// minutes, long enough to ride out a dropped connection, short enough that a leaked one is soon worthless.
    /// </summary>
    public TimeSpan ResumeTokenLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Every endpoint reads the session ID from a header instead of the cookie; see <see cref="SessionTokenHeader"/>.</summary>
    public SessionConnectorWebOptions UseHeaderTransport(string? headerName = null, string responseHeaderName = SessionTokenHeader.DefaultResponseHeaderName)
    {
        HeaderTransport = new SessionTokenHeader(headerName, responseHeaderName);
        return this;
    }

    /// <summary>
    /// Creates the storage once, at start-up; the connector owns and closes it. Null (the default): file storage in
    /// <c>.sessions</c> under the content root. See <see cref="UseFileStorage"/>, <see cref="UseMemoryStorage"/>.
    /// </summary>
    public Func<IServiceProvider, SessionStorage>? Storage { get; set; }

    // The refresh of sessions a request did not touch (RefreshOnEveryRequest<T>); null: off.
    internal Func<Internal.SessionRequestFeature, System.Threading.Tasks.Task>? KeepAlive { get; private set; }

    /// <summary>
    /// Keeps a session alive on every request that carries its cookie, also when the endpoint never asks for the
    /// session (as ASP.NET Core's <c>AddSession</c> does). Off by default (as Django): then only requests that use the
    /// session slide its idle expiry, and a request that never touches it does no storage I/O at all. On, each such
    /// request reads the session when its response starts (one storage read, a cache hit on a single instance) and
    /// writes it when the idle expiry is due to slide (at most once per half <see cref="SessionStoreOptions.IdleTimeout"/>
    /// per session). Has no effect without an idle timeout. A failure of that refresh is logged and never fails the
    /// request. <typeparamref name="T"/> is the app's session type (one per cookie).
    /// </summary>
    public SessionConnectorWebOptions RefreshOnEveryRequest<T>() where T : ISessionData<T>
    {
        KeepAlive = static feature => feature.RefreshUntouchedAsync<T>();
        return this;
    }

    // A ring parsed from configuration belongs to the host, which disposes it (a ring set in code stays the caller's).
    internal SessionKeyRing? KeysFromConfiguration { get; set; }

    // Set by UseSealedCookies (SealedCookieWebOptionsExtensions.cs).
    internal Internal.SealedCookieChoice? SealedCookies { get; set; }

    /// <summary>Stores sessions as files in <paramref name="directory"/> (created 0700 if missing).</summary>
    public SessionConnectorWebOptions UseFileStorage(string directory, FileDurability durability = FileDurability.PowerLoss)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        // The clock is read when the storage is created, so a TimeProvider set after this call is still honoured.
        Storage = _ => new FileSessionStorage(directory, durability, Connector.TimeProvider);
        return this;
    }

    /// <summary>Keeps sessions in this process's memory (tests, single-process apps); they die with the process.</summary>
    public SessionConnectorWebOptions UseMemoryStorage(int maxRecords = 100_000)
    {
        Storage = _ => new MemorySessionStorage(maxRecords, Connector.TimeProvider);
        return this;
    }
}
