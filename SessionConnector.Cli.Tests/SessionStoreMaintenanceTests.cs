using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Cli.Tests.Support;
using SessionConnector.Maintenance;
using SessionConnector.Storage;
using SessionConnector.Storage.Files;
using Xunit;

namespace SessionConnector.Cli.Tests;

/// <summary>The public maintenance API in-process, where a race can be staged exactly.</summary>
public sealed class SessionStoreMaintenanceTests
{
    [Fact]
    public async Task RotateLeavesNoCopySealedUnderTheRetiredKeyInAFileRecordsOtherSlot()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sc-rotate-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new FileSessionStorageOptions { SweepInterval = TimeSpan.Zero };
            // The connector disposes the store it is given: the maintenance gets its own.
            using (var oldApp = new SessionStorageConnector(new FileSessionStorage(dir, options), new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Old) }))
            {
                string id = SessionStorageConnector.GenerateId();
                oldApp.Set(id, new SessionBag { ["n"] = 1L });
                oldApp.Set(id, new SessionBag { ["n"] = 2L }); // both slots now hold records sealed under key 1
            }

            string file = Assert.Single(Directory.GetFiles(dir, "*.session"));
            Assert.NotEqual(SlotPayload(file, 0), SlotPayload(file, 1));
            using var store = new FileSessionStorage(dir, options);
            using var maintenance = new SessionStoreMaintenance(store, TestKeys.Ring(TestKeys.Rotated));
            Assert.Equal(1, (await maintenance.RotateAsync()).Changed);

            // The slot that was live before the rotation holds the re-sealed record too, not the key-1 one.
            Assert.Equal(SlotPayload(file, 0), SlotPayload(file, 1));
            Assert.Equal(new Dictionary<uint, long> { [2] = 1 }, (await maintenance.GetStatsAsync()).RecordsByKeyId);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task APurgeOfAFileStorePassesLiveRecordsByAndJudgesEachByItsLiveSlot()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sc-purge-" + Guid.NewGuid().ToString("N"));
        try
        {
            var time = new ManualClock(DateTimeOffset.UtcNow);
            var options = new FileSessionStorageOptions { SweepInterval = TimeSpan.Zero, TimeProvider = time };
            string live = SessionStorageConnector.GenerateId(), renewedShort = SessionStorageConnector.GenerateId();
            using (var app = new SessionStorageConnector(new FileSessionStorage(dir, options), new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Old), TimeProvider = time }))
            {
                app.Set(live, new SessionBag { ["n"] = 1L }, TimeSpan.FromHours(1));
                // Slot 0 keeps an hour, the live slot 1 ten seconds: the purge must go by the live one.
                app.Set(renewedShort, new SessionBag { ["n"] = 1L }, TimeSpan.FromHours(1));
                app.Set(renewedShort, new SessionBag { ["n"] = 2L }, TimeSpan.FromSeconds(10));
            }

            time.Advance(TimeSpan.FromMinutes(1));
            using var store = new FileSessionStorage(dir, options);
            using var maintenance = new SessionStoreMaintenance(store, keys: null, time);
            MaintenanceResult r = await maintenance.PurgeExpiredAsync();

            Assert.Equal((2, 1, 1), (r.Scanned, r.Changed, r.Skipped));
            Assert.Single(Directory.GetFiles(dir, "*.session"));
            using var reader = new SessionStorageConnector(new FileSessionStorage(dir, options), new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Old), TimeProvider = time });
            Assert.Equal(1L, reader.Get<SessionBag>(live)!["n"]);
            Assert.Null(reader.Get<SessionBag>(renewedShort));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static byte[] SlotPayload(string file, int slot)
    {
        byte[] bytes = File.ReadAllBytes(file);
        int slotSize = RecordSlots.SlotSizeOf(bytes);
        int start = (int)RecordSlots.SlotOffset(slot, slotSize);
        Assert.True(RecordSlots.TryReadSlot(bytes.AsSpan(start, slotSize - RecordSlots.FileHeaderSize), out _, out int length));
        return bytes.AsSpan(start + RecordSlots.SlotHeaderSize, length).ToArray();
    }

    [Fact]
    public async Task RotateNeverOverwritesAnApplicationWriteThatLandsBetweenItsReadAndItsWrite()
    {
        var inner = new MemorySessionStorage();
        using var oldApp = new SessionStorageConnector(inner, new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Old) });
        string id = SessionStorageConnector.GenerateId();
        oldApp.Set(id, new SessionBag { ["n"] = 1L });

        var racing = new RacingStorage(inner);
        using var newApp = new SessionStorageConnector(racing, new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Rotated) });
        // Just before rotate's compare-and-set: an application (already on key 2) increments the session.
        racing.BeforeMaintenanceWrite = () => Assert.True(newApp.Update<SessionBag>(id, b => b["n"] = (long)b["n"]! + 41));

        using var maintenance = new SessionStoreMaintenance(racing, TestKeys.Ring(TestKeys.Rotated));
        MaintenanceResult r = await maintenance.RotateAsync();

        Assert.Equal(1, r.Conflicts);
        Assert.Equal(0, r.Changed); // the application's write already re-sealed it under key 2
        Assert.Equal(42L, newApp.Get<SessionBag>(id)!["n"]);
        SessionStoreStats stats = await maintenance.GetStatsAsync();
        Assert.Equal(new Dictionary<uint, long> { [2] = 1 }, stats.RecordsByKeyId);
    }

    [Fact]
    public async Task RotateResealsWhatAStaleNodeWroteUnderTheOldKeyDuringTheRace()
    {
        var inner = new MemorySessionStorage();
        using var staleNode = new SessionStorageConnector(inner, new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Old) });
        string id = SessionStorageConnector.GenerateId();
        staleNode.Set(id, new SessionBag { ["n"] = 1L });
        var racing = new RacingStorage(inner);
        int raced = 0;
        racing.BeforeMaintenanceWrite = () =>
        {
            if (raced++ == 0) Assert.True(staleNode.Update<SessionBag>(id, b => b["n"] = 7L));
        };

        using var maintenance = new SessionStoreMaintenance(racing, TestKeys.Ring(TestKeys.Rotated));
        MaintenanceResult r = await maintenance.RotateAsync();

        Assert.Equal((1, 1), (r.Conflicts, r.Changed));
        SessionInspection? seen = await maintenance.InspectAsync(id);
        Assert.Equal(2u, seen!.KeyId);
        Assert.Equal(7, JsonDocument.Parse(seen.DataJson!).RootElement.GetProperty("n").GetInt64()); // the stale node's value, not the pre-race one
    }

    [Fact]
    public async Task PurgeKeepsASessionRenewedAfterItWasRead()
    {
        var time = new ManualClock(DateTimeOffset.UtcNow);
        var inner = new MemorySessionStorage(timeProvider: time);
        using var app = new SessionStorageConnector(inner, new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Old), TimeProvider = time });
        string renewed = SessionStorageConnector.GenerateId(), gone = SessionStorageConnector.GenerateId();
        app.Set(renewed, new SessionBag(), TimeSpan.FromMinutes(1));
        app.Set(gone, new SessionBag(), TimeSpan.FromMinutes(1));
        time.Advance(TimeSpan.FromMinutes(2));
        var racing = new RacingStorage(inner);
        bool once = false;
        racing.BeforeMaintenanceDelete = () =>
        {
            if (once) return;
            once = true;
            app.Set(renewed, new SessionBag { ["back"] = true }, TimeSpan.FromHours(1));
        };

        using var maintenance = new SessionStoreMaintenance(racing, keys: null, time);
        MaintenanceResult r = await maintenance.PurgeExpiredAsync(new MaintenanceOptions { Parallelism = 1 });

        Assert.Equal(2, r.Scanned);
        // Whichever record the pass reaches first, the renewal lands before its delete: the renewed session survives.
        Assert.Equal((1, 1), (r.Changed, r.Conflicts));
        Assert.Equal(1, inner.Count);
        Assert.NotNull(app.Get<SessionBag>(renewed));
    }

    [Fact]
    public async Task InspectShowsJsonFormatSessionsAndPurgeIsADryRunWhenAsked()
    {
        var storage = new MemorySessionStorage();
        using var app = new SessionStorageConnector(storage, new SessionConnectorOptions { Keys = TestKeys.Ring(TestKeys.Old), Format = SessionFormat.Json });
        string id = SessionStorageConnector.GenerateId();
        app.Set(id, new SessionBag { ["name"] = "ada", ["tags"] = new List<object?> { 1L, "x" } });

        using var maintenance = new SessionStoreMaintenance(storage, TestKeys.Ring(TestKeys.Old));
        SessionInspection? seen = await maintenance.InspectAsync(id);
        Assert.Equal(SessionFormat.Json, seen!.Format);
        JsonElement data = JsonDocument.Parse(seen.DataJson!).RootElement;
        Assert.Equal("ada", data.GetProperty("name").GetString());
        Assert.Equal("x", data.GetProperty("tags")[1].GetString());
        Assert.Null(await maintenance.InspectAsync(SessionStorageConnector.GenerateId()));
        Assert.Throws<InvalidSessionIdException>(() => maintenance.InspectAsync("../x").GetAwaiter().GetResult());
    }

    [Fact]
    public async Task ABackendWithoutEnumerationSaysWhatToOverride()
    {
        using var maintenance = new SessionStoreMaintenance(new NoEnumerationStorage(), keys: null);
        NotSupportedException e = await Assert.ThrowsAsync<NotSupportedException>(() => maintenance.GetStatsAsync());
        Assert.Contains("EnumerateAsync", e.Message);
        Assert.Contains("custom", e.Message);
    }

    [Fact]
    public async Task OperationsThatDecryptRefuseToRunWithoutKeys()
    {
        using var maintenance = new SessionStoreMaintenance(new MemorySessionStorage(), keys: null);
        await Assert.ThrowsAsync<InvalidOperationException>(() => maintenance.RotateAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => maintenance.VerifyAsync(evict: false));
        SessionStoreStats stats = await maintenance.GetStatsAsync();
        Assert.Null(stats.Undecryptable);
        Assert.Null(stats.PrimaryKeyId);
    }

    /// <summary>Forwards to a real store; runs a hook just before each maintenance compare-and-set (the async paths).</summary>
    private sealed class RacingStorage(SessionStorage inner) : SessionStorage
    {
        public Action? BeforeMaintenanceWrite { get; set; }

        public Action? BeforeMaintenanceDelete { get; set; }

        public override string Kind => inner.Kind;

        public override StoredRecord? Read(string key) => inner.Read(key);

        public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion) =>
            inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);

        public override ValueTask<bool> TryWriteAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion, CancellationToken cancellationToken = default)
        {
            BeforeMaintenanceWrite?.Invoke();
            return inner.TryWriteAsync(key, value, expiresAt, expectedVersion, newVersion, cancellationToken);
        }

        public override bool Delete(string key) => inner.Delete(key);

        public override void Clear() => inner.Clear();

        public override IAsyncEnumerable<KeyValuePair<string, StoredRecord>> EnumerateAsync(int batchSize = 256, CancellationToken cancellationToken = default) =>
            inner.EnumerateAsync(batchSize, cancellationToken);

        public override ValueTask<bool> TryDeleteAsync(string key, long expectedVersion, CancellationToken cancellationToken = default)
        {
            BeforeMaintenanceDelete?.Invoke();
            return inner.TryDeleteAsync(key, expectedVersion, cancellationToken);
        }
    }

    private sealed class NoEnumerationStorage : SessionStorage
    {
        public override string Kind => "custom";

        public override StoredRecord? Read(string key) => null;

        public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion) => false;

        public override bool Delete(string key) => false;

        public override void Clear() { }
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
