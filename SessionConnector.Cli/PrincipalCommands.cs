using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Storage;

namespace SessionConnector.Cli;

/// <summary>signout --principal and list --principal: the connector's own principal calls, so the CLI keeps no second copy of them.</summary>
internal static class PrincipalCommands
{
    public static async Task<int> RunAsync(string verb, SessionStorage storage, SessionKeyRing keys, string principal, bool json, CancellationToken cancellationToken)
    {
        // The connector owns (and closes) the storage; the ring stays the caller's.
        await using var connector = new SessionStorageConnector(storage, new SessionConnectorOptions { Keys = keys, CacheCapacity = 0 });
        if (verb == "signout")
        {
            IReadOnlyList<PrincipalSession> before = await connector.ListPrincipalSessionsAsync(principal, cancellationToken).ConfigureAwait(false);
            await connector.SignOutEverywhereAsync(principal, cancellationToken).ConfigureAwait(false);
            // Wait for the index cleanup here: a CLI exits right after, and the records should be gone when it says so.
            await connector.LastPrincipalCleanup.ConfigureAwait(false);
            string count = Commands.Invariant(before.Count);
            Console.Out.WriteLine(json ? $"{{\"signedOut\":true,\"listedSessions\":{count}}}" : $"signed out everywhere ({count} listed sessions ended)");
            return ExitCodes.Ok;
        }

        IReadOnlyList<PrincipalSession> sessions = await connector.ListPrincipalSessionsAsync(principal, cancellationToken).ConfigureAwait(false);
        var text = new StringBuilder();
        if (json)
        {
            text.Append("{\"sessions\":[");
            for (int i = 0; i < sessions.Count; i++)
            {
                PrincipalSession s = sessions[i];
                if (i > 0) text.Append(',');
                text.Append("{\"handle\":\"").Append(s.Handle)
                    .Append("\",\"createdAt\":\"").Append(Iso(s.CreatedAt))
                    .Append("\",\"lastSeenAt\":\"").Append(Iso(s.LastSeenAt))
                    .Append("\",\"expiresAt\":").Append(s.ExpiresAt is { } e ? "\"" + Iso(e) + "\"" : "null")
                    .Append(",\"label\":").Append(s.Label is null ? "null" : "\"" + JsonEncodedText.Encode(s.Label).ToString() + "\"")
                    .Append('}');
            }

            text.Append("]}");
            Console.Out.WriteLine(text.ToString());
        }
        else
        {
            foreach (PrincipalSession s in sessions)
            {
                Console.Out.WriteLine($"{s.Handle}  {Iso(s.CreatedAt)}  {(s.ExpiresAt is { } e ? Iso(e) : "never")}  {s.Label}");
            }

            Console.Out.WriteLine($"{Commands.Invariant(sessions.Count)} sessions");
        }

        return ExitCodes.Ok;
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
