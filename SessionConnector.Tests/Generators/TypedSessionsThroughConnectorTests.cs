using System;
using System.Collections.Generic;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Generators;

/// <summary>
/// Generated [SessionData] types stored and loaded through the real connector (encryption, storage, cache), in both
/// formats: what a user's app does, as opposed to calling the generated codecs directly.
/// </summary>
public sealed class TypedSessionsThroughConnectorTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    public static TheoryData<StorageKind, SessionFormat> Cases => new()
    {
        { StorageKind.Memory, SessionFormat.MessagePack },
        { StorageKind.Memory, SessionFormat.Json },
        { StorageKind.File, SessionFormat.MessagePack },
        { StorageKind.File, SessionFormat.Json },
    };

    private SessionStorageConnector Open(StorageKind kind, SessionFormat format, SessionStorage? storage = null) =>
        _env.Create(storage ?? _env.CreateStorage(kind), o => o.Format = format);

    [Theory]
    [MemberData(nameof(Cases))]
    public void EverySupportedMemberTypeSurvivesSetAndGet(StorageKind kind, SessionFormat format)
    {
        using var c = Open(kind, format);
        string id = SessionStorageConnector.GenerateId();
        AllTypes original = SessionDataRoundTripTests.Sample();
        Assert.True(c.Set(id, original, TimeSpan.FromHours(1)));

        SessionDataRoundTripTests.AssertAllTypesEqual(original, c.Get<AllTypes>(id)!);
        SessionDataRoundTripTests.AssertAllTypesEqual(original, c.Get<AllTypes>(id)!); // second read: the cache, if any
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StructsRecordsAndNestedTypesUpdateAtomically(StorageKind kind, SessionFormat format)
    {
        using var c = Open(kind, format);
        string point = SessionStorageConnector.GenerateId();
        string profile = SessionStorageConnector.GenerateId();
        string player = SessionStorageConnector.GenerateId();
        c.Set(point, new Point { X = 1, Y = 2 });
        c.Set(profile, new Profile("ada", 36));
        c.Set(player, new PlayerSession { PlayerId = 7 });

        Assert.True(c.Update<Point>(point, p => p with { X = p.X + 10 }));
        Assert.True(c.Update<Profile>(profile, p => p with { Age = p.Age + 1 }));
        Assert.True(c.Update<PlayerSession>(player, p => p.Inventory.Add(new Item { Name = "sword", Count = 1 })));

        Assert.True(c.TryGet(point, out Point pt));
        Assert.Equal(11, pt.X);
        Assert.Equal(37, c.Get<Profile>(profile)!.Age);
        Item item = Assert.Single(c.Get<PlayerSession>(player)!.Inventory);
        Assert.Equal("sword", item.Name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ASessionWrittenByYesterdaysTypeLoadsInTodays(StorageKind kind, SessionFormat format)
    {
        SessionStorage storage = _env.CreateStorage(kind);
        string id = SessionStorageConnector.GenerateId();
        var yesterday = Open(kind, format, storage);
        yesterday.Set(id, new PlayerV1 { PlayerId = 5, Name = "ada", Gold = 40, Removed = new List<Item> { new() { Name = "old" } } });

        // The next deploy reads the same record as PlayerV2 (renamed, removed, added and reordered members).
        var today = Open(kind, SessionFormat.MessagePack, storage);
        PlayerV2 v2 = today.Get<PlayerV2>(id)!;

        Assert.Equal(5, v2.PlayerId);
        Assert.Equal("ada", v2.DisplayName);
        Assert.Equal(40, v2.Gold);
        Assert.Equal(7, v2.Gems);
    }

    [Fact]
    public void ARecordThatDoesNotDecodeAsTheRequestedTypeReadsAsAbsent()
    {
        using var c = Open(StorageKind.Memory, SessionFormat.MessagePack);
        var rejected = new MetricCounter(c.Meter, "sessionconnector.records.rejected");
        string id = SessionStorageConnector.GenerateId();
        c.Set(id, new SessionBag { ["PlayerId"] = "not a number" });

        Assert.Null(c.Get<PlayerSession>(id));
        Assert.Equal(1, rejected.Total);
    }
}
