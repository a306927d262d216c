using System;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>What redeeming a resume token came to.</summary>
internal enum ResumeOutcome
{
    /// <summary>This redemption won: the grant is spent and its session may be resumed.</summary>
    Redeemed,

    /// <summary>No such grant: never issued, expired, or malformed.</summary>
    Unknown,

    /// <summary>Spent an instant ago by a concurrent redemption (a reconnect storm): refused, nothing revoked.</summary>
    LostRace,

    /// <summary>The session's principal signed out everywhere after the grant was issued: refused (the grant is spent).</summary>
    SignedOut,

    /// <summary>Spent before: a replay. The session (the whole token family) has been ended.</summary>
    Reused,
}

/// <summary>
/// Resume tokens, stored as records of their own through the connector (so every storage works, across restarts and
/// nodes): the record's ID is a hash of the token, which the connector keys again before it reaches storage, and its
/// value (the session it resumes) is sealed like any session. A redemption is a compare-and-set of the grant from live
/// to spent (the connector's update loop re-runs the change on the record that beat it), so of concurrent redemptions
/// exactly one sees it live. A spent grant stays until it expires, so a replay is recognised and ends the session, as
/// refresh-token rotation revokes the family.
/// </summary>
internal static class ResumeTokens
{
    /// <summary>A replay this soon after the redemption is taken for a concurrent retry and only refused.</summary>
    public static readonly TimeSpan RaceWindow = TimeSpan.FromSeconds(2);

    private const string SessionField = "s";
    private const string SpentAtField = "t";
    private const string PrincipalField = "p";

    // Domain separation: the hash of a token can never be the hash of anything else this package stores.
    private static ReadOnlySpan<byte> Domain => "SessionConnector resume token v1\0"u8;

    private static readonly Action<ILogger, string, Exception?> s_reused = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(40, "ResumeTokenReused"),
        "A spent resume token was presented again; session {SessionLogId} has been ended (its token family is revoked).");

    public static async ValueTask<string> IssueAsync(SessionConnectorHost host, string sessionId, CancellationToken cancellationToken)
    {
        string token = SessionIds.Generate();
        var grant = new SessionBag { [SessionField] = sessionId, [SpentAtField] = 0L };
        // Bound to the sign-in as well as the session: a grant of a bound session carries the principal's binding (keyed
        // hash and generation; the grant is sealed like a session), so sign out everywhere ends it even if its session
        // record survived. A grant of an unbound session has no such field and lives as long as its session.
        if (await host.Connector.GetPrincipalBindingAsync(sessionId, cancellationToken).ConfigureAwait(false) is { } binding)
        {
            grant[PrincipalField] = binding;
        }

        // A fresh 256-bit token has no other writer: the write cannot race.
        await host.Connector.SetAsync(GrantId(token), grant, host.ResumeTokenLifetime, cancellationToken).ConfigureAwait(false);
        return token;
    }

    public static async ValueTask<(ResumeOutcome Outcome, string? SessionId)> RedeemAsync(SessionConnectorHost host, string? token, CancellationToken cancellationToken)
    {
        // A malformed token is unknown, never an exception (so never a 500).
        if (!SessionIds.IsValid(token)) return (ResumeOutcome.Unknown, null);
        string? sessionId = null;
        string? binding = null;
        long spentAt = 0;
        long now = host.Time.GetUtcNow().UtcTicks;
        bool found = await host.Connector.UpdateAsync<SessionBag>(GrantId(token), grant =>
        {
            // Runs again on the newer record when another redemption's compare-and-set won: the last run decides.
            sessionId = grant.TryGet(SessionField, out string? s) ? s : null;
            binding = grant.TryGet(PrincipalField, out string? p) ? p : null;
            spentAt = grant.TryGet(SpentAtField, out long t) ? t : 0;
            if (spentAt == 0) grant[SpentAtField] = now;
            return grant;
        }, cancellationToken).ConfigureAwait(false);

        if (!found || !SessionIds.IsValid(sessionId)) return (ResumeOutcome.Unknown, null);
        // The principal signed out everywhere since the grant was issued: refused whatever state its session is in.
        if (binding is not null && !await host.Connector.IsPrincipalBindingCurrentAsync(binding, cancellationToken).ConfigureAwait(false))
        {
            return (ResumeOutcome.SignedOut, null);
        }

        if (spentAt == 0) return (ResumeOutcome.Redeemed, sessionId);
        if (now - spentAt < RaceWindow.Ticks) return (ResumeOutcome.LostRace, null);

        // A replay: whoever holds a copy of the token (the client or a thief) may be holding the session, so it ends.
        await host.Connector.DeleteAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (host.Logger.IsEnabled(LogLevel.Warning)) s_reused(host.Logger, host.LogId(sessionId), null);
        return (ResumeOutcome.Reused, null);
    }

    /// <summary>The ID the grant is stored under: a hash of the token (the connector keys it again for storage).</summary>
    private static string GrantId(string token)
    {
        Span<byte> input = stackalloc byte[Domain.Length + SessionIds.MaxLength];
        Domain.CopyTo(input);
        int length = Domain.Length + Encoding.ASCII.GetBytes(token, input[Domain.Length..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input[..length], hash);
        return "rt-" + Convert.ToHexString(hash);
    }
}
