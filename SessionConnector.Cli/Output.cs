using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SessionConnector.Maintenance;

namespace SessionConnector.Cli;

/// <summary>Results on stdout: aligned text for people, or JSON (Utf8JsonWriter, no reflection) for scripts.</summary>
internal static class Output
{
    public static string FailureName(RecordFailure failure) => failure switch
    {
        RecordFailure.Damaged => "damaged",
        RecordFailure.UnknownKey => "unknown-key",
        RecordFailure.RevokedKey => "revoked-key",
        RecordFailure.Authentication => "authentication",
        RecordFailure.BadPayload => "bad-payload",
        RecordFailure.VersionExhausted => "version-exhausted",
        _ => "none",
    };

    public static void Stats(SessionStoreStats s, bool json)
    {
        if (json)
        {
            WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("records", s.Records);
                w.WriteNumber("bytes", s.Bytes);
                w.WriteNumber("expiredPresent", s.ExpiredPresent);
                w.WriteNumber("damaged", s.Damaged);
                if (s.PrimaryKeyId is { } primary) w.WriteNumber("primaryKeyId", primary);
                else w.WriteNull("primaryKeyId");
                w.WriteStartObject("recordsByKeyId");
                foreach (KeyValuePair<uint, long> e in s.RecordsByKeyId.OrderBy(e => e.Key)) w.WriteNumber(e.Key.ToString(CultureInfo.InvariantCulture), e.Value);
                w.WriteEndObject();
                w.WriteStartObject("expiryHistogram");
                foreach (KeyValuePair<string, long> e in s.ExpiryHistogram) w.WriteNumber(e.Key, e.Value);
                w.WriteEndObject();
                if (s.Undecryptable is { } failures) WriteFailures(w, "undecryptable", failures);
                else w.WriteNull("undecryptable");
                if (s.Principals is { } principals) w.WriteNumber("principals", principals);
                else w.WriteNull("principals");
                if (s.BoundSessions is { } bound) w.WriteNumber("boundSessions", bound);
                else w.WriteNull("boundSessions");
                w.WriteEndObject();
            });
            return;
        }

        var text = new StringBuilder();
        Line(text, "records", s.Records.ToString("N0", CultureInfo.InvariantCulture));
        Line(text, "bytes", s.Bytes.ToString("N0", CultureInfo.InvariantCulture));
        Line(text, "expired, present", s.ExpiredPresent.ToString("N0", CultureInfo.InvariantCulture));
        Line(text, "damaged", s.Damaged.ToString("N0", CultureInfo.InvariantCulture));
        Line(text, "undecryptable", s.Undecryptable is { } u ? Describe(u) : "(not checked: no keys given)");
        Line(text, "principals", s.Principals is { } p ? p.ToString("N0", CultureInfo.InvariantCulture) : "(not counted: no keys given)");
        Line(text, "bound sessions", s.BoundSessions is { } b ? b.ToString("N0", CultureInfo.InvariantCulture) : "(not counted: no keys given)");
        text.AppendLine("records by key id:");
        foreach (KeyValuePair<uint, long> e in s.RecordsByKeyId.OrderBy(e => e.Key))
        {
            string label = e.Key.ToString(CultureInfo.InvariantCulture) + (e.Key == s.PrimaryKeyId ? " (primary)" : "");
            Line(text, "  " + label, e.Value.ToString("N0", CultureInfo.InvariantCulture));
        }

        text.AppendLine("time to expiry:");
        foreach (KeyValuePair<string, long> e in s.ExpiryHistogram) Line(text, "  " + e.Key, e.Value.ToString("N0", CultureInfo.InvariantCulture));
        Console.Out.Write(text.ToString());
    }

    public static void Result(string verb, MaintenanceResult r, TimeSpan elapsed, bool json)
    {
        double seconds = elapsed.TotalSeconds;
        double rate = seconds > 0 ? r.Scanned / seconds : 0;
        if (json)
        {
            WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteString("verb", verb);
                w.WriteBoolean("dryRun", r.DryRun);
                w.WriteNumber("scanned", r.Scanned);
                w.WriteNumber("changed", r.Changed);
                w.WriteNumber("skipped", r.Skipped);
                w.WriteNumber("conflicts", r.Conflicts);
                WriteFailures(w, "failures", r.Failures);
                w.WriteNumber("seconds", Math.Round(seconds, 3));
                w.WriteNumber("recordsPerSecond", Math.Round(rate));
                w.WriteEndObject();
            });
            return;
        }

        string changed = (verb, r.DryRun) switch
        {
            ("rotate", false) => "re-sealed",
            ("rotate", true) => "to re-seal",
            (_, false) => "deleted",
            (_, true) => "to delete",
        };
        var text = new StringBuilder();
        Line(text, "scanned", r.Scanned.ToString("N0", CultureInfo.InvariantCulture));
        Line(text, changed, r.Changed.ToString("N0", CultureInfo.InvariantCulture));
        Line(text, "skipped", r.Skipped.ToString("N0", CultureInfo.InvariantCulture));
        Line(text, "conflicts", r.Conflicts.ToString("N0", CultureInfo.InvariantCulture) + (r.Conflicts > 0 ? " (an application wrote meanwhile; its write was kept)" : ""));
        Line(text, "failures", Describe(r.Failures));
        Line(text, "time", $"{seconds.ToString("0.00", CultureInfo.InvariantCulture)} s ({rate.ToString("N0", CultureInfo.InvariantCulture)} records/s)");
        if (r.DryRun) text.AppendLine("dry run: nothing was written or deleted.");
        Console.Out.Write(text.ToString());
    }

    public static void Inspection(SessionInspection i) => WriteJson(w =>
    {
        w.WriteStartObject();
        w.WriteString("storageKey", i.StorageKey);
        w.WriteNumber("version", i.Version);
        if (i.KeyId is { } keyId) w.WriteNumber("keyId", keyId);
        else w.WriteNull("keyId");
        WriteDate(w, "storedExpiresAt", i.StoredExpiresAt);
        if (i.Failure != RecordFailure.None)
        {
            w.WriteString("failure", FailureName(i.Failure));
        }
        else
        {
            w.WriteString("format", i.Format == SessionFormat.Json ? "json" : "messagepack");
            WriteDate(w, "expiresAt", i.ExpiresAt);
            WriteDate(w, "absoluteExpiresAt", i.AbsoluteExpiresAt);
            w.WritePropertyName("data");
            // Re-written (not raw) so it nests at the right indentation.
            using JsonDocument data = JsonDocument.Parse(i.DataJson!);
            data.RootElement.WriteTo(w);
        }

        w.WriteEndObject();
    });

    private static void WriteDate(Utf8JsonWriter w, string name, DateTimeOffset? at)
    {
        if (at is { } value) w.WriteString(name, value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        else w.WriteNull(name);
    }

    private static void WriteFailures(Utf8JsonWriter w, string name, IReadOnlyDictionary<RecordFailure, long> failures)
    {
        w.WriteStartObject(name);
        w.WriteNumber("total", failures.Values.Sum());
        foreach (KeyValuePair<RecordFailure, long> e in failures.OrderBy(e => e.Key)) w.WriteNumber(FailureName(e.Key), e.Value);
        w.WriteEndObject();
    }

    private static string Describe(IReadOnlyDictionary<RecordFailure, long> failures)
    {
        long total = failures.Values.Sum();
        if (total == 0) return "0";
        return total.ToString("N0", CultureInfo.InvariantCulture) + " ("
            + string.Join(", ", failures.OrderBy(e => e.Key).Select(e => FailureName(e.Key) + " " + e.Value.ToString("N0", CultureInfo.InvariantCulture))) + ")";
    }

    private static void Line(StringBuilder text, string label, string value) => text.Append(label.PadRight(20)).AppendLine(value);

    // Relaxed escaping: the output goes to a terminal or a script, never into HTML, and "≤1h" should read as such.
    private static void WriteJson(Action<Utf8JsonWriter> write)
    {
        using Stream stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(w);
        }

        stdout.Write("\n"u8);
    }
}
