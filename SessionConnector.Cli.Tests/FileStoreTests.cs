using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using SessionConnector.Cli.Tests.Support;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Cli.Tests;

/// <summary>sessionctl on a real file store, written by real application processes.</summary>
[Collection(ProcessTests.Name)]
public sealed class FileStoreTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sc-cli-file-").FullName;

    private string Writer => "file:" + _dir;

    private string[] Store => ["--file", _dir];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RotateWhileTwoProcessesUpdateLosesNoUpdateAndLeavesNothingUnderTheOldKey() =>
        RotationScenario.Run(output, Writer, Store, () => new FileSessionStorage(_dir), sessions: 300, hot: 150);

    [Fact]
    public void PurgeDeletesOnlyExpiredRecordsAndReportsThem()
    {
        Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "12", "1");
        string[] live = Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "5", "3600");
        Thread.Sleep(1500);

        CliResult stats = Sessionctl.Run(null, ["stats", "--json", .. Store]);
        Assert.True(stats.ExitCode == 0, stats.ToString());
        Assert.Equal(17, stats.Json.GetProperty("records").GetInt64());
        Assert.Equal(12, stats.Json.GetProperty("expiredPresent").GetInt64());
        Assert.Equal(JsonValueKind.Null, stats.Json.GetProperty("undecryptable").ValueKind); // no keys: not checked

        CliResult dry = Sessionctl.Run(null, ["purge", "--dry-run", "--json", .. Store]);
        Assert.Equal(12, dry.Json.GetProperty("changed").GetInt64());
        Assert.True(dry.Json.GetProperty("dryRun").GetBoolean());
        Assert.Equal(17, Directory.GetFiles(_dir, "*.session").Length);

        CliResult purge = Sessionctl.Run(null, ["purge", .. Store]);
        Assert.True(purge.ExitCode == 0, purge.ToString());
        Assert.Contains("deleted", purge.StdOut);
        Assert.Matches(@"deleted\s+12\b", purge.StdOut);
        Assert.Equal(5, Directory.GetFiles(_dir, "*.session").Length);

        CliResult again = Sessionctl.Run(null, ["purge", "--json", .. Store]);
        Assert.Equal(0, again.Json.GetProperty("changed").GetInt64());
        Assert.Equal(5, again.Json.GetProperty("skipped").GetInt64());
        using var connector = new SessionStorageConnector(new FileSessionStorage(_dir), new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Old) });
        Assert.All(live, id => Assert.NotNull(connector.Get<SessionBag>(id)));
    }

    [Fact]
    public void VerifyReportsFailuresByReasonAndEvictRemovesThem()
    {
        Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "6", "0");
        string[] files = Directory.GetFiles(_dir, "*.session");
        // One altered ciphertext byte, one truncated file, one envelope moved onto another record.
        AlterCiphertext(files[0]);
        File.WriteAllBytes(files[1], File.ReadAllBytes(files[1])[..10]);
        File.Copy(files[2], files[3], overwrite: true);

        CliResult verify = Sessionctl.Run(TestKeys.Old, ["verify", "--json", .. Store]);
        Assert.True(verify.ExitCode == 1, verify.ToString());
        JsonElement failures = verify.Json.GetProperty("failures");
        Assert.Equal(3, failures.GetProperty("total").GetInt64());
        Assert.Equal(2, failures.GetProperty("authentication").GetInt64());
        Assert.Equal(1, failures.GetProperty("damaged").GetInt64());
        Assert.Equal(3, verify.Json.GetProperty("skipped").GetInt64());

        CliResult revoked = Sessionctl.Run(TestKeys.Retired, ["verify", "--json", .. Store]);
        Assert.Equal(5, revoked.Json.GetProperty("failures").GetProperty("revoked-key").GetInt64());

        CliResult dry = Sessionctl.Run(TestKeys.Old, ["verify", "--evict", "--dry-run", "--json", .. Store]);
        Assert.Equal(1, dry.ExitCode);
        Assert.Equal(6, Directory.GetFiles(_dir, "*.session").Length);

        CliResult evict = Sessionctl.Run(TestKeys.Old, ["verify", "--evict", "--json", .. Store]);
        Assert.True(evict.ExitCode == 0, evict.ToString());
        Assert.Equal(3, evict.Json.GetProperty("changed").GetInt64());
        Assert.Equal(3, Directory.GetFiles(_dir, "*.session").Length);

        CliResult clean = Sessionctl.Run(TestKeys.Old, ["verify", .. Store]);
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Matches(@"failures\s+0", clean.StdOut);
    }

    [Fact]
    public void InspectPrintsTheDecryptedSessionOnlyWithTheAcknowledgement()
    {
        string id = Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "1", "3600")[0];

        CliResult refused = Sessionctl.RunWithInput(TestKeys.Old, id, ["inspect", .. Store]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--show-secrets", refused.StdErr);
        Assert.Equal("", refused.StdOut);

        CliResult shown = Sessionctl.RunWithInput(TestKeys.Old, id, ["inspect", "--show-secrets", .. Store]);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        JsonElement json = shown.Json;
        Assert.Equal("messagepack", json.GetProperty("format").GetString());
        Assert.Equal(1u, json.GetProperty("keyId").GetUInt32());
        Assert.Equal(0, json.GetProperty("data").GetProperty("n").GetInt64());
        Assert.Equal("user-0", json.GetProperty("data").GetProperty("user").GetString());
        Assert.Equal("reader", json.GetProperty("data").GetProperty("roles")[0].GetString());
        Assert.Equal(7, json.GetProperty("data").GetProperty("roles")[1].GetInt64());
        DateTimeOffset expires = DateTimeOffset.Parse(json.GetProperty("expiresAt").GetString()!);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(50), TimeSpan.FromMinutes(61));

        CliResult missing = Sessionctl.RunWithInput(TestKeys.Old, SessionStorageConnector.GenerateId(), ["inspect", "--show-secrets", .. Store]);
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("no live session", missing.StdErr);

        CliResult wrongRing = Sessionctl.RunWithInput($"*5:{TestKeys.K2}", id, ["inspect", "--show-secrets", .. Store]);
        Assert.Equal(3, wrongRing.ExitCode); // another naming key: another storage key, so no such record
    }

    [Fact]
    public void StatsCountsRecordsPerKeyIdAndByExpiry()
    {
        Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "4", "600");
        Sessionctl.RunWriter(TestKeys.Rotated, "populate", Writer, "3", "0");
        Sessionctl.RunWriter(TestKeys.Rotated, "populate", Writer, "2", $"{3 * 86400}");
        File.WriteAllBytes(Path.Combine(_dir, "garbage.session"), [1, 2, 3]);

        CliResult stats = Sessionctl.Run(TestKeys.Rotated, ["stats", "--json", .. Store]);
        Assert.True(stats.ExitCode == 0, stats.ToString());
        JsonElement s = stats.Json;
        Assert.Equal(10, s.GetProperty("records").GetInt64());
        Assert.Equal(1, s.GetProperty("damaged").GetInt64());
        Assert.Equal(2u, s.GetProperty("primaryKeyId").GetUInt32());
        Assert.Equal(4, s.GetProperty("recordsByKeyId").GetProperty("1").GetInt64());
        Assert.Equal(5, s.GetProperty("recordsByKeyId").GetProperty("2").GetInt64());
        JsonElement h = s.GetProperty("expiryHistogram");
        Assert.Equal(4, h.GetProperty("≤1h").GetInt64());
        Assert.Equal(2, h.GetProperty("≤7d").GetInt64());
        Assert.Equal(4, h.GetProperty("never").GetInt64()); // 3 sessions + the garbage file
        Assert.Equal(1, s.GetProperty("undecryptable").GetProperty("damaged").GetInt64());
        Assert.True(s.GetProperty("bytes").GetInt64() > 9 * 50);

        CliResult text = Sessionctl.Run(TestKeys.Rotated, ["stats", .. Store]);
        Assert.Matches(@"records\s+10", text.StdOut);
        Assert.Matches(@"2 \(primary\)\s+5", text.StdOut);
    }

    [Fact]
    public void DeleteRemovesOneSessionOrEverythingUnderAKeyId()
    {
        string[] old = Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "5", "0");
        string[] current = Sessionctl.RunWriter(TestKeys.Rotated, "populate", Writer, "3", "0");

        CliResult one = Sessionctl.RunWithInput(TestKeys.Rotated, current[0], ["delete", .. Store]);
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Equal("deleted 1 session", one.StdOut.Trim());
        Assert.Equal(3, Sessionctl.RunWithInput(TestKeys.Rotated, current[0], ["delete", .. Store]).ExitCode);

        CliResult dry = Sessionctl.Run(null, ["delete", "--key-id", "1", "--dry-run", "--json", .. Store]);
        Assert.Equal(5, dry.Json.GetProperty("changed").GetInt64());
        CliResult revoke = Sessionctl.Run(null, ["delete", "--key-id", "1", "--json", .. Store]);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Equal(5, revoke.Json.GetProperty("changed").GetInt64());

        using var connector = new SessionStorageConnector(new FileSessionStorage(_dir), new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Rotated), CacheCapacity = 0 });
        Assert.All(old, id => Assert.Null(connector.Get<SessionBag>(id)));
        Assert.Null(connector.Get<SessionBag>(current[0]));
        Assert.All(current.Skip(1), id => Assert.NotNull(connector.Get<SessionBag>(id)));
    }

    [Fact]
    public void DeleteTakesManyIdsFromStandardInputOrAFile()
    {
        string[] ids = Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "6", "0");
        using var connector = new SessionStorageConnector(new FileSessionStorage(_dir), new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Old), CacheCapacity = 0 });

        // Three from stdin (CRLF, blank line and spaces tolerated), one of them twice: the second time it is gone.
        string input = $"{ids[0]}\r\n\n  {ids[1]}  \n{ids[2]}\n{ids[0]}\n";
        CliResult stdin = Sessionctl.RunWithInput(TestKeys.Old, input, ["delete", "--json", .. Store]);
        Assert.True(stdin.ExitCode == 3, stdin.ToString());
        Assert.Equal(3, stdin.Json.GetProperty("deleted").GetInt32());
        Assert.Equal(1, stdin.Json.GetProperty("notFound").GetInt32());
        Assert.Contains("1 of the IDs name no live session", stdin.StdErr);

        string file = Path.Combine(Path.GetTempPath(), "sc-cli-ids-" + Guid.NewGuid().ToString("N"));
        try
        {
            File.WriteAllLines(file, ids[3..5]);
            CliResult fromFile = Sessionctl.Run(TestKeys.Old, ["delete", "--ids-file", file, .. Store]);
            Assert.True(fromFile.ExitCode == 0, fromFile.ToString());
            Assert.Equal("deleted 2 sessions", fromFile.StdOut.Trim());
        }
        finally
        {
            File.Delete(file);
        }

        Assert.All(ids[..5], id => Assert.Null(connector.Get<SessionBag>(id)));
        Assert.NotNull(connector.Get<SessionBag>(ids[5]));
    }

    [Fact]
    public void InterruptedRotationResumesWhereItStopped()
    {
        Sessionctl.RunWriter(TestKeys.Old, "populate", Writer, "40", "0");
        // A partial pass: re-seal some records by hand through the public API, as an interrupted run leaves them.
        using (var storage = new FileSessionStorage(_dir))
        using (var maintenance = new SessionConnector.Maintenance.SessionStoreMaintenance(storage, TestKeys.Ring(TestKeys.Rotated)))
        {
            var cancel = new CancellationTokenSource();
            var options = new SessionConnector.Maintenance.MaintenanceOptions { BatchSize = 10, Parallelism = 1, Progress = p => { if (p.Scanned >= 10) cancel.Cancel(); } };
            Assert.ThrowsAny<OperationCanceledException>(() => maintenance.RotateAsync(options, cancel.Token).GetAwaiter().GetResult());
        }

        CliResult partial = Sessionctl.Run(TestKeys.Rotated, ["stats", "--json", .. Store]);
        Assert.Equal(10, partial.Json.GetProperty("recordsByKeyId").GetProperty("2").GetInt64());

        CliResult resumed = Sessionctl.Run(TestKeys.Rotated, ["rotate", "--json", .. Store]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(30, resumed.Json.GetProperty("changed").GetInt64());
        Assert.Equal(10, resumed.Json.GetProperty("skipped").GetInt64());
    }

    /// <summary>
    /// Flips a ciphertext byte of the file's live record and reseals the slot's checksum, as someone who can write the
    /// store would: the checksum only catches torn writes, and the envelope's authentication is what must refuse this.
    /// </summary>
    private static void AlterCiphertext(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        Assert.True(RecordSlots.TryFindLive(bytes, out LiveSlot live));
        Span<byte> slot = bytes.AsSpan(live.Start, live.Length);
        slot[^20] ^= 0x01;
        RecordSlots.WriteSlotHeader(slot, slot[RecordSlots.SlotHeaderSize..], BinaryPrimitives.ReadInt64LittleEndian(slot[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(slot[16..]), BinaryPrimitives.ReadInt64LittleEndian(slot[24..]));
        File.WriteAllBytes(file, bytes);
    }
}
