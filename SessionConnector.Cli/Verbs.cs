using System;
using System.Collections.Generic;

namespace SessionConnector.Cli;

/// <summary>An option: its name (with the dashes), whether it takes a value, and its help line.</summary>
internal sealed record OptionSpec(string Name, string? ValueName, string Help);

/// <summary>A verb: name, usage line, what it does, and the options it accepts (besides the store and key options).</summary>
internal sealed record VerbSpec(string Name, string Usage, string Summary, string Details, bool NeedsKeys, OptionSpec[] Options);

/// <summary>The command-line surface of sessionctl, declared once: the parser and the help text both read it.</summary>
internal static class Verbs
{
    public static readonly OptionSpec File = new("--file", "DIR", "file store: the directory the applications use");
    public static readonly OptionSpec Redis = new("--redis", "CONFIG", "Redis store: a StackExchange.Redis configuration string without a password (host:port,ssl=true)");
    public static readonly OptionSpec RedisFile = new("--redis-file", "PATH", "Redis store: the configuration, password included, from a file of mode 600");
    public static readonly OptionSpec Prefix = new("--prefix", "P", "Redis store: the applications' key prefix (required for a Redis store)");
    public static readonly OptionSpec Postgres = new("--postgres", "[SCHEMA.]TABLE",
        "PostgreSQL store: the applications' table; the connection string comes from " + StoreOpener.PostgresEnvironmentVariable + " (never the command line: it may hold a password)");
    public static readonly OptionSpec KeysFile = new("--keys-file", "PATH", "key list file (mode 0600), instead of the SESSIONCONNECTOR_KEYS variable");
    public static readonly OptionSpec Json = new("--json", null, "print the result as JSON on stdout");
    public static readonly OptionSpec Quiet = new("--quiet", null, "no progress line on the terminal");
    public static readonly OptionSpec Batch = new("--batch", "N", "records per batch (1-10000, default 256)");
    public static readonly OptionSpec Parallel = new("--parallel", "N", "records of a batch processed at once (1-256; default 16 on a PowerLoss file store, else 8)");
    public static readonly OptionSpec DryRun = new("--dry-run", null, "count what would change; write and delete nothing");
    public static readonly OptionSpec Evict = new("--evict", null, "delete the records that fail (not those under a key id the ring never held)");
    public static readonly OptionSpec ShowSecrets = new("--show-secrets", null, "required: acknowledges that the output is the session's plaintext");
    public static readonly OptionSpec IdsFile = new("--ids-file", "PATH", "read the session ID(s) from this file, one a line, instead of standard input");
    public static readonly OptionSpec KeyId = new("--key-id", "N", "delete every record sealed under key id N (revokes a leaked key's sessions)");
    public static readonly OptionSpec Principal = new("--principal", null, "required: the verb acts on a principal, whose id comes on standard input or from --principal-file");
    public static readonly OptionSpec PrincipalFile = new("--principal-file", "PATH", "read the principal id from this file (one line) instead of standard input");
    public static readonly OptionSpec Help = new("--help", null, "show this help");

    private static readonly OptionSpec[] s_store = [File, Redis, RedisFile, Prefix, Postgres, KeysFile];
    private static readonly OptionSpec[] s_pass = [Json, Quiet, Batch, Parallel];

    public static readonly VerbSpec[] All =
    [
        new("stats", "sessionctl stats STORE [--json]",
            "Count records, bytes, records per key id, an expiry histogram, expired-but-present and undecryptable records.",
            "Keys are optional: without them the undecryptable count is left out.",
            NeedsKeys: false, [.. s_pass]),
        new("purge", "sessionctl purge STORE [--dry-run]",
            "Delete records past their expiry, each only if no application rewrote it meanwhile.",
            "Needs no keys. Safe while applications run; a rerun continues where an interrupted run stopped.",
            NeedsKeys: false, [.. s_pass, DryRun]),
        new("rotate", "sessionctl rotate STORE [--dry-run]",
            "Re-seal every live record under the primary key, so old keys can be retired.",
            "Each rewrite is a compare-and-set: a concurrent application write wins and is never overwritten.\n"
            + "Records already under the primary are skipped, so a rerun resumes an interrupted rotation.\n"
            + "Every application must already hold the primary key (docs/operations.md).",
            NeedsKeys: true, [.. s_pass, DryRun]),
        new("verify", "sessionctl verify STORE [--evict [--dry-run]]",
            "Authenticate every unexpired record and report failures by reason.",
            "Reasons: damaged, unknown-key, revoked-key, authentication, bad-payload, version-exhausted.\n"
            + "Exit code 1 while failing records remain in the store.",
            NeedsKeys: true, [.. s_pass, Evict, DryRun]),
        new("inspect", "sessionctl inspect STORE --show-secrets [--ids-file PATH]   (the ID on standard input)",
            "Decrypt one session and print it as JSON, without the application's types.",
            "The output is the session's plaintext: it refuses to run without --show-secrets.\n"
            + "The session ID comes on standard input or from --ids-file, never from the command line (other users see it):\n"
            + "  sessionctl inspect --file DIR --show-secrets < id.txt",
            NeedsKeys: true, [ShowSecrets, IdsFile]),
        new("delete", "sessionctl delete STORE [--ids-file PATH]   (IDs on standard input) | sessionctl delete --key-id N STORE [--dry-run]",
            "Delete sessions by ID, or every record sealed under a key id.",
            "Session IDs come on standard input or from --ids-file, one a line, never from the command line (other users see it):\n"
            + "  sessionctl delete --file DIR < ids.txt\n"
            + "Deleting by key id needs no keys; deleting by ID needs them (they name the records).",
            NeedsKeys: false, [KeyId, IdsFile, .. s_pass, DryRun]),
        new("signout", "sessionctl signout --principal STORE [--principal-file PATH]   (the principal id on standard input)",
            "Sign a principal out everywhere: every session bound to it ends, on every node, with one write.",
            "The principal id (the application's user or account id) comes on standard input or from --principal-file,\n"
            + "never from the command line (other users see it):\n"
            + "  sessionctl signout --principal --file DIR < user.txt\n"
            + "The sessions' records are deleted afterwards through the principal's index; see docs/principals.md.",
            NeedsKeys: true, [Principal, PrincipalFile, Json]),
        new("list", "sessionctl list --principal STORE [--principal-file PATH] [--json]   (the principal id on standard input)",
            "List a principal's live sessions: handle, sign-in time, expiry and label (never session IDs).",
            "The principal id comes on standard input or from --principal-file, never from the command line.",
            NeedsKeys: true, [Principal, PrincipalFile, Json]),
    ];

    public static VerbSpec? Find(string name) => Array.Find(All, v => v.Name == name);

    public static IEnumerable<OptionSpec> OptionsOf(VerbSpec verb) => [.. verb.Options, .. s_store, Help];

    public static string GeneralHelp()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("sessionctl: operate a SessionConnector session store (file, Redis or PostgreSQL).");
        text.AppendLine();
        text.AppendLine("usage: sessionctl VERB STORE [options]      sessionctl VERB --help");
        text.AppendLine();
        text.AppendLine("verbs:");
        foreach (VerbSpec v in All) text.AppendLine($"  {v.Name,-9}{v.Summary}");
        AppendStoreAndExit(text);
        return text.ToString();
    }

    public static string HelpOf(VerbSpec verb)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(verb.Summary);
        text.AppendLine();
        text.AppendLine("usage: " + verb.Usage);
        text.AppendLine();
        foreach (string line in verb.Details.Split('\n')) text.AppendLine(line);
        text.AppendLine();
        text.AppendLine("options:");
        foreach (OptionSpec o in verb.Options) AppendOption(text, o);
        AppendOption(text, Help);
        AppendStoreAndExit(text);
        return text.ToString();
    }

    private static void AppendStoreAndExit(System.Text.StringBuilder text)
    {
        text.AppendLine();
        text.AppendLine("STORE (one of):");
        foreach (OptionSpec o in s_store) AppendOption(text, o);
        text.AppendLine();
        text.AppendLine("  Redis configuration with a password: --redis-file PATH or the SESSIONCTL_REDIS variable, never --redis.");
        text.AppendLine();
        text.AppendLine("keys: SESSIONCONNECTOR_KEYS or --keys-file (mode 600, no symbolic link), format [*|-]id:base64,… (the applications' list: same first key).");
        text.AppendLine();
        text.AppendLine("exit codes: 0 ok · 1 records need attention · 2 usage · 3 session not found · 4 keys · 5 store failure · 130 interrupted");
        text.AppendLine("errors go to stderr; results to stdout.");
    }

    private static void AppendOption(System.Text.StringBuilder text, OptionSpec o)
    {
        string name = o.ValueName is null ? o.Name : o.Name + " " + o.ValueName;
        text.AppendLine($"  {name,-18}{o.Help}");
    }
}
