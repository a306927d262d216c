using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Maintenance;
using SessionConnector.Storage;

namespace SessionConnector.Cli;

/// <summary>Runs a parsed verb against the store through the public maintenance API.</summary>
internal static class Commands
{
    public static async Task<int> RunAsync(ParsedCommand command, CancellationToken cancellationToken)
    {
        VerbSpec verb = command.Verb;
        bool byKeyId = verb.Name == "delete" && command.Has(Verbs.KeyId.Name);
        ValidateArguments(command, byKeyId);
        bool needsKeys = verb.NeedsKeys || (verb.Name == "delete" && !byKeyId);
        // Read and checked before anything opens the store: a bad ID list changes nothing.
        string[] ids = TakesIds(verb, byKeyId) ? ReadIds(command) : [];
        string? principal = TakesPrincipal(verb) ? ReadPrincipal(command) : null;
        using SessionKeyRing? keys = StoreOpener.OpenKeys(command, needsKeys);
        SessionStorage storage = StoreOpener.OpenStorage(command);
        if (principal is not null) return await PrincipalCommands.RunAsync(verb.Name, storage, keys!, principal, command.Has(Verbs.Json.Name), cancellationToken).ConfigureAwait(false);
        await using (storage.ConfigureAwait(false))
        {
            using var maintenance = new SessionStoreMaintenance(storage, keys);
            var progress = new Progress(verb.Name, !command.Has(Verbs.Quiet.Name) && !Console.IsErrorRedirected);
            var options = new MaintenanceOptions
            {
                BatchSize = (int)command.Number(Verbs.Batch.Name, 1, 10_000, 256),
                // Unset: the store's own default (more for a durable file store, see MaintenanceOptions.Parallelism).
                Parallelism = command.Has(Verbs.Parallel.Name) ? (int)command.Number(Verbs.Parallel.Name, 1, 256, 8) : null,
                DryRun = command.Has(Verbs.DryRun.Name),
                Progress = progress.Callback,
            };
            bool json = command.Has(Verbs.Json.Name);
            try
            {
                switch (verb.Name)
                {
                    case "stats":
                        Output.Stats(await maintenance.GetStatsAsync(options, cancellationToken).ConfigureAwait(false), json);
                        return ExitCodes.Ok;
                    case "purge":
                        return Report(verb.Name, await maintenance.PurgeExpiredAsync(options, cancellationToken).ConfigureAwait(false), progress, json, failingLeft: 0);
                    case "rotate":
                    {
                        MaintenanceResult r = await maintenance.RotateAsync(options, cancellationToken).ConfigureAwait(false);
                        return Report(verb.Name, r, progress, json, failingLeft: Total(r.Failures));
                    }

                    case "verify":
                    {
                        bool evict = command.Has(Verbs.Evict.Name);
                        MaintenanceResult r = await maintenance.VerifyAsync(evict, options, cancellationToken).ConfigureAwait(false);
                        return Report(verb.Name, r, progress, json, failingLeft: Total(r.Failures) - (evict && !r.DryRun ? r.Changed : 0));
                    }

                    case "inspect":
                        return await InspectAsync(maintenance, ids[0], cancellationToken).ConfigureAwait(false);
                    default:
                        if (byKeyId)
                        {
                            uint keyId = (uint)command.Number(Verbs.KeyId.Name, 0, uint.MaxValue, 0);
                            return Report("delete", await maintenance.DeleteByKeyIdAsync(keyId, options, cancellationToken).ConfigureAwait(false), progress, json, failingLeft: 0);
                        }

                        return await DeleteAsync(maintenance, ids, json, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                progress.Done();
            }
        }
    }

    private static void ValidateArguments(ParsedCommand command, bool byKeyId)
    {
        VerbSpec verb = command.Verb;
        bool takesIds = TakesIds(verb, byKeyId);
        if (takesIds && command.Argument is not null)
        {
            // Never echoed: it may be a live session's ID, and the point is that it should not be on a command line.
            throw new UsageException(
                $"session IDs are no longer taken on the command line, where other local users can read them; give them on standard input "
                + $"(sessionctl {verb.Name} STORE … < ids.txt) or with --ids-file PATH, one a line.");
        }

        if (TakesPrincipal(verb) && command.Argument is not null)
        {
            // Never echoed: it is a user's id, and the point is that it should not be on a command line.
            throw new UsageException(
                $"the principal id is not taken on the command line, where other local users can read it; give it on standard input "
                + $"(sessionctl {verb.Name} --principal STORE < user.txt) or with --principal-file PATH.");
        }

        if (TakesPrincipal(verb) && !command.Has(Verbs.Principal.Name)) throw new UsageException($"'{verb.Name}' needs --principal; usage: {verb.Usage}");
        if (!takesIds && command.Argument is not null) throw new UsageException($"unexpected argument '{command.Argument}' for '{verb.Name}'; usage: {verb.Usage}");
        if (!takesIds && command.Has(Verbs.IdsFile.Name)) throw new UsageException("--ids-file applies to delete by ID only, not to delete --key-id.");
        if (verb.Name == "inspect" && !command.Has(Verbs.ShowSecrets.Name))
        {
            throw new UsageException("inspect prints the session's decrypted data; pass --show-secrets to acknowledge that the output is secret.");
        }

        if (verb.Name == "verify" && command.Has(Verbs.DryRun.Name) && !command.Has(Verbs.Evict.Name))
        {
            throw new UsageException("--dry-run applies to verify --evict only (verify alone changes nothing).");
        }

        if (verb.Name == "delete" && !byKeyId)
        {
            foreach (OptionSpec o in new[] { Verbs.DryRun, Verbs.Batch, Verbs.Parallel })
            {
                if (command.Has(o.Name)) throw new UsageException($"{o.Name} applies to delete --key-id only.");
            }
        }
    }

    private static int Report(string verb, MaintenanceResult result, Progress progress, bool json, long failingLeft)
    {
        Output.Result(verb, result, progress.Elapsed, json);
        return failingLeft > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private static async Task<int> InspectAsync(SessionStoreMaintenance maintenance, string id, CancellationToken cancellationToken)
    {
        SessionInspection? inspection = await maintenance.InspectAsync(id, cancellationToken).ConfigureAwait(false);
        if (inspection is null)
        {
            Console.Error.WriteLine("sessionctl: no live session with that ID.");
            return ExitCodes.NotFound;
        }

        Output.Inspection(inspection);
        if (inspection.Failure == RecordFailure.None) return ExitCodes.Ok;
        Console.Error.WriteLine($"sessionctl: the record does not open: {Output.FailureName(inspection.Failure)}.");
        return ExitCodes.Findings;
    }

    private static async Task<int> DeleteAsync(SessionStoreMaintenance maintenance, string[] ids, bool json, CancellationToken cancellationToken)
    {
        int deleted = 0;
        foreach (string id in ids)
        {
            if (await maintenance.DeleteAsync(id, cancellationToken).ConfigureAwait(false)) deleted++;
        }

        int missing = ids.Length - deleted;
        if (ids.Length == 1)
        {
            // One ID: the output of the former `delete ID`, which scripts may parse.
            if (json) Console.Out.WriteLine(deleted == 1 ? "{\"deleted\":true}" : "{\"deleted\":false}");
            else if (deleted == 1) Console.Out.WriteLine("deleted 1 session");
        }
        else if (json)
        {
            Console.Out.WriteLine($"{{\"deleted\":{Invariant(deleted)},\"notFound\":{Invariant(missing)}}}");
        }
        else
        {
            Console.Out.WriteLine($"deleted {Invariant(deleted)} sessions");
        }

        if (missing == 0) return ExitCodes.Ok;
        Console.Error.WriteLine(ids.Length == 1 ? "sessionctl: no live session with that ID." : $"sessionctl: {Invariant(missing)} of the IDs name no live session.");
        return ExitCodes.NotFound;
    }

    private static bool TakesPrincipal(VerbSpec verb) => verb.Name is "signout" or "list";

    /// <summary>The principal id from --principal-file or standard input: one line, surrounding white space ignored.</summary>
    private static string ReadPrincipal(ParsedCommand command)
    {
        string? path = command.Value(Verbs.PrincipalFile.Name);
        string source = path is null ? "standard input" : $"'{path}'";
        string text;
        try
        {
            if (path is not null)
            {
                text = File.ReadAllText(path);
            }
            else
            {
                if (!Console.IsInputRedirected) Console.Error.WriteLine("sessionctl: reading the principal id from standard input; end with Ctrl+D.");
                text = Console.In.ReadToEnd();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the principal id from {source}: {e.Message}");
        }

        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length != 1) throw new UsageException($"'{command.Verb.Name}' needs exactly one principal id on {source} (found {Invariant(lines.Length)} lines).");
        if (lines[0].Length > 1024) throw new UsageException($"the principal id on {source} is longer than 1,024 characters.");
        return lines[0];
    }

    private static bool TakesIds(VerbSpec verb, bool byKeyId) => verb.Name == "inspect" || (verb.Name == "delete" && !byKeyId);

    /// <summary>
    /// The session IDs from --ids-file or standard input, one a line (blank lines and surrounding spaces ignored), all
    /// checked before any is used. Never from the command line: other local users can read a process's arguments.
    /// </summary>
    private static string[] ReadIds(ParsedCommand command)
    {
        string? path = command.Value(Verbs.IdsFile.Name);
        string source = path is null ? "standard input" : $"'{path}'";
        string text;
        try
        {
            if (path is not null)
            {
                text = File.ReadAllText(path);
            }
            else
            {
                if (!Console.IsInputRedirected) Console.Error.WriteLine("sessionctl: reading session IDs from standard input, one a line; end with Ctrl+D.");
                text = Console.In.ReadToEnd();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read session IDs from {source}: {e.Message}");
        }

        var ids = new List<string>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string id = lines[i].Trim();
            if (id.Length == 0) continue;
            // The line number, not the text: a near-miss may still be someone's session ID.
            if (!SessionIds.IsValid(id)) throw new UsageException($"line {Invariant(i + 1)} of {source} is not a valid session ID.");
            ids.Add(id);
        }

        if (ids.Count == 0) throw new UsageException($"'{command.Verb.Name}' needs a session ID on {source}; usage: {command.Verb.Usage}");
        if (command.Verb.Name == "inspect" && ids.Count > 1) throw new UsageException($"inspect shows one session; {source} holds {Invariant(ids.Count)} IDs.");
        return [.. ids];
    }

    private static long Total(IReadOnlyDictionary<RecordFailure, long> failures)
    {
        long total = 0;
        foreach (long n in failures.Values) total += n;
        return total;
    }

    internal static string Invariant(long n) => n.ToString(CultureInfo.InvariantCulture);
}
