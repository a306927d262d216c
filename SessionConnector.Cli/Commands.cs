using System;
using System.Collections.Generic;
using System.Globalization;
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
        using SessionKeyRing? keys = StoreOpener.OpenKeys(command, needsKeys);
        SessionStorage storage = StoreOpener.OpenStorage(command);
        await using (storage.ConfigureAwait(false))
        {
            using var maintenance = new SessionStoreMaintenance(storage, keys);
            var progress = new Progress(verb.Name, !command.Has(Verbs.Quiet.Name) && !Console.IsErrorRedirected);
            var options = new MaintenanceOptions
            {
                BatchSize = (int)command.Number(Verbs.Batch.Name, 1, 10_000, 256),
                Parallelism = (int)command.Number(Verbs.Parallel.Name, 1, 256, 8),
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
                        return await InspectAsync(maintenance, command.Argument!, cancellationToken).ConfigureAwait(false);
                    default:
                        if (byKeyId)
                        {
                            uint keyId = (uint)command.Number(Verbs.KeyId.Name, 0, uint.MaxValue, 0);
                            return Report("delete", await maintenance.DeleteByKeyIdAsync(keyId, options, cancellationToken).ConfigureAwait(false), progress, json, failingLeft: 0);
                        }

                        return await DeleteOneAsync(maintenance, command.Argument!, json, cancellationToken).ConfigureAwait(false);
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
        bool takesId = verb.Name == "inspect" || (verb.Name == "delete" && !byKeyId);
        if (takesId && command.Argument is null) throw new UsageException($"'{verb.Name}' needs a session ID; usage: {verb.Usage}");
        if (!takesId && command.Argument is not null) throw new UsageException($"unexpected argument '{command.Argument}' for '{verb.Name}'; usage: {verb.Usage}");
        if (takesId && !SessionIds.IsValid(command.Argument)) throw new UsageException($"'{command.Argument}' is not a valid session ID.");
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

    private static async Task<int> DeleteOneAsync(SessionStoreMaintenance maintenance, string id, bool json, CancellationToken cancellationToken)
    {
        bool deleted = await maintenance.DeleteAsync(id, cancellationToken).ConfigureAwait(false);
        if (json) Console.Out.WriteLine(deleted ? "{\"deleted\":true}" : "{\"deleted\":false}");
        else if (deleted) Console.Out.WriteLine("deleted 1 session");
        if (deleted) return ExitCodes.Ok;
        Console.Error.WriteLine("sessionctl: no live session with that ID.");
        return ExitCodes.NotFound;
    }

    private static long Total(IReadOnlyDictionary<RecordFailure, long> failures)
    {
        long total = 0;
        foreach (long n in failures.Values) total += n;
        return total;
    }

    internal static string Invariant(long n) => n.ToString(CultureInfo.InvariantCulture);
}
