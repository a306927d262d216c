using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Reading;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Reading;

/// <summary>TryRead / TryReadAsync: read-only views over the cache's snapshot.</summary>
public sealed class SessionStorageConnectorReadTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    [Theory]
    [InlineData(StorageKind.File)]
    [InlineData(StorageKind.Memory)]
    public void WhenSetThenTryReadSeesEveryMemberKind(StorageKind kind)
    {
        using SessionStorageConnector c = _env.Create(kind);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, ViewPlayer.Sample()));

        Assert.True(c.TryRead(id, out ViewPlayer.View v));
        AssertSample(v);
    }

    [Fact]
    public void WhenMissTryReadLoadsThenCachesTheSnapshot()
    {
        var storage = new RecordingStorage(_env.CreateStorage(StorageKind.File));
        string id = StoreElsewhere();

        using SessionStorageConnector c = _env.Create(storage);
        Assert.True(c.TryRead(id, out ViewPlayer.View first)); // a miss: one storage read
        Assert.Single(storage.Keys);
        AssertSample(first);

        Assert.True(c.TryRead(id, out ViewPlayer.View second)); // a hit: no storage read
        Assert.Single(storage.Keys);
        AssertSample(second);
    }

    [Fact]
    public async Task WhenMissTryReadAsyncLoadsThenHitsTheCache()
    {
        var storage = new RecordingStorage(_env.CreateStorage(StorageKind.File));
        string id = StoreElsewhere();

        await using SessionStorageConnector c = _env.Create(storage);
        (bool found, ViewPlayer.View view) = await c.TryReadAsync<ViewPlayer.View>(id);
        Assert.True(found);
        AssertSample(view);

        ValueTask<(bool Found, ViewPlayer.View View)> hit = c.TryReadAsync<ViewPlayer.View>(id);
        Assert.True(hit.IsCompletedSuccessfully); // a hit never goes async
        (bool hitFound, ViewPlayer.View hitView) = await hit;
        Assert.True(hitFound);
        AssertSample(hitView);
        Assert.Single(storage.Keys);

        (bool missing, _) = await c.TryReadAsync<ViewPlayer.View>(SessionStorageConnector.GenerateId());
        Assert.False(missing);
    }

    [Fact]
    public void WhenCacheHitTryReadAllocatesNothing()
    {
        // The system clock, so the hit takes the monotonic fast path that production takes.
        using SessionStorageConnector c = WithSample(out string id, o => o.TimeProvider = TimeProvider.System);
        long sum = ReadAll(c, id, 10); // warm up: JIT, the first precise freshness check

        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += ReadAll(c, id, 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(1010 * (42 + 3 + 5 + 100 + 1), sum);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OnMemoryStorageTryReadDecryptsEachTimeUnlessTheCacheIsAskedFor(bool cacheMemoryStorage)
    {
        using SessionStorageConnector c = _env.Create(StorageKind.Memory, o =>
        {
            o.TimeProvider = TimeProvider.System;
            o.CacheMemoryStorage = cacheMemoryStorage;
        });
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, ViewPlayer.Sample()));
        long sum = ReadAll(c, id, 10);

        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += ReadAll(c, id, 100);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(110 * (42 + 3 + 5 + 100 + 1), sum);
        if (cacheMemoryStorage) Assert.Equal(0, allocated); // the cached snapshot, no copy
        else Assert.True(allocated > 100 * 100, $"{allocated} B: each read should decrypt and decode a fresh copy");

        // Writes and deletes reach the cached reader at once.
        Assert.True(c.Update<ViewPlayer>(id, p => p.Id = 7));
        Assert.True(c.TryRead(id, out ViewPlayer.View updated));
        Assert.Equal(7, updated.Id);
        Assert.True(c.Delete(id));
        Assert.False(c.TryRead(id, out ViewPlayer.View _));
    }

    [Fact]
    public async Task WhenCacheHitTryReadAsyncAllocatesNothing()
    {
        await using SessionStorageConnector c = _env.Create(StorageKind.File, o => o.TimeProvider = TimeProvider.System);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(await c.SetAsync(id, new ViewPos { X = 3, Y = 4 }));
        Assert.True((await c.TryReadAsync<ViewPos.View>(id)).Found);

        // A hit completes synchronously, so these awaits never suspend (and never switch threads).
        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = 0;
        for (int i = 0; i < 1000; i++)
        {
            (bool found, ViewPos.View view) = await c.TryReadAsync<ViewPos.View>(id);
            if (found) sum += view.X;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(3000, sum);
    }

    [Fact]
    public void WhenSetAfterViewWasTakenTheOldViewKeepsTheVersionRead()
    {
        using SessionStorageConnector c = WithSample(out string id);
        Assert.True(c.TryRead(id, out ViewPlayer.View old));

        ViewPlayer next = ViewPlayer.Sample();
        next.Id = 7;
        next.Tags.Add("c");
        next.Stats["hp"] = 1;
        next.Bag[0].Count = 99;
        Assert.True(c.Set(id, next));
        Assert.True(c.Update<ViewPlayer>(id, p => p.Name = "Bea"));

        AssertSample(old);
        Assert.True(c.TryRead(id, out ViewPlayer.View now));
        Assert.Equal(7, now.Id);
        Assert.Equal("Bea", now.Name);
        Assert.Equal(new[] { "a", "b", "c" }, now.Tags.ToArray());
        Assert.Equal(1, now.Stats["hp"]);
        Assert.Equal(99, now.Bag[0].Count);
    }

    [Fact]
    public void WhenCallerMutatesWhatItSetTheViewDoesNotChange()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.File);
        string id = SessionStorageConnector.GenerateId();
        ViewPlayer mine = ViewPlayer.Sample();
        Assert.True(c.Set(id, mine));
        mine.Tags.Clear();
        mine.Main.Name = "changed";

        Assert.True(c.TryRead(id, out ViewPlayer.View v));
        AssertSample(v);
    }

    [Fact]
    public async Task WhenSessionExpiredTryReadReturnsFalse()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.File);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, ViewPlayer.Sample(), TimeSpan.FromMinutes(5)));
        Assert.True(c.TryRead(id, out ViewPlayer.View _));

        _env.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(1));

        Assert.False(c.TryRead(id, out ViewPlayer.View _));
        Assert.False((await c.TryReadAsync<ViewPlayer.View>(id)).Found);
    }

    [Fact]
    public void WhenSessionExpiredOnTheSystemClockTheFastPathDoesNotServeIt()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.File, o => o.TimeProvider = TimeProvider.System);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new ViewPos { X = 1 }, TimeSpan.FromSeconds(1)));
        Assert.True(c.TryRead(id, out ViewPos.View _)); // the precise check arms a monotonic deadline before the expiry
        Assert.True(c.TryRead(id, out ViewPos.View _)); // served by the fast path

        Thread.Sleep(TimeSpan.FromMilliseconds(1300));

        Assert.False(c.TryRead(id, out ViewPos.View _));
    }

    [Fact]
    public void WhenSessionDeletedTryReadReturnsFalse()
    {
        using SessionStorageConnector c = WithSample(out string id);
        Assert.True(c.TryRead(id, out ViewPlayer.View _));

        Assert.True(c.Delete(id));

        Assert.False(c.TryRead(id, out ViewPlayer.View _));
        Assert.False(c.TryRead(SessionStorageConnector.GenerateId(), out ViewPlayer.View _));
    }

    [Fact]
    public void WhenRecordFailsAuthenticationTryReadReturnsFalse()
    {
        const string store = "shared";
        string id = StoreElsewhere(store);

        // Same record names (first key), but the record was sealed under a key this node has revoked.
        using SessionStorageConnector reader = _env.Create(_env.CreateStorage(StorageKind.File, store), o =>
            o.Keys = SessionKeyRing.Parse($"-1:{Convert.ToBase64String(TestConnectors.Key)},*2:{Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray())}"));

        Assert.False(reader.TryRead(id, out ViewPlayer.View _));
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData(".hidden")]
    public void WhenIdIsMalformedTryReadThrows(string id)
    {
        using SessionStorageConnector c = _env.Create(StorageKind.File);
        Assert.Throws<InvalidSessionIdException>(() => c.TryRead(id, out ViewPlayer.View _));
        Assert.Throws<InvalidSessionIdException>(() => c.TryReadAsync<ViewPlayer.View>(id));
    }

    [Fact]
    public void WhenIdIsNullTryReadThrows()
    {
        using SessionStorageConnector c = _env.Create(StorageKind.File);
        Assert.Throws<ArgumentNullException>(() => c.TryRead(null!, out ViewPlayer.View _));
    }

    [Fact]
    public void WhenConnectorIsClosedTryReadThrows()
    {
        SessionStorageConnector c = _env.Create(StorageKind.File);
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new ViewPos { X = 1 }));
        c.Close();
        Assert.Throws<SessionStorageConnectorException>(() => c.TryRead(id, out ViewPos.View _));
    }

    /// <summary>A file-backed connector holding <see cref="ViewPlayer.Sample"/> under a new ID, cached.</summary>
    private SessionStorageConnector WithSample(out string id, Action<SessionConnectorOptions>? configure = null)
    {
        SessionStorageConnector c = _env.Create(StorageKind.File, configure);
        id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, ViewPlayer.Sample()));
        return c;
    }

    /// <summary>Stores the sample through a connector of its own, so the returned ID is not in any other connector's cache.</summary>
    private string StoreElsewhere(string? store = null)
    {
        using SessionStorageConnector writer = _env.Create(_env.CreateStorage(StorageKind.File, store));
        string id = SessionStorageConnector.GenerateId();
        Assert.True(writer.Set(id, ViewPlayer.Sample()));
        return id;
    }

    private static long ReadAll(SessionStorageConnector c, string id, int times)
    {
        long sum = 0;
        for (int i = 0; i < times; i++)
        {
            if (!c.TryRead(id, out ViewPlayer.View v)) throw new InvalidOperationException("miss");
            sum += v.Id + v.Rank.GetValueOrDefault() + v.Home.X + v.Stats["hp"] + v.Main.Count;
        }

        return sum;
    }

    internal static void AssertSample(ViewPlayer.View v)
    {
        ViewPlayer s = ViewPlayer.Sample();
        Assert.Equal(42, v.Id);
        Assert.Equal("Ada", v.Name);
        Assert.Equal(3, v.Rank);
        Assert.Equal(ViewColor.Green, v.Color);
        Assert.Equal(s.Key, v.Key);
        Assert.Equal(s.Seen, v.Seen);
        Assert.Equal(new byte[] { 1, 2, 3 }, v.Avatar.ToArray());
        Assert.Equal(new[] { 10, 20, 30 }, v.Scores.ToArray());
        Assert.Equal(new[] { "a", "b" }, v.Tags.ToArray());
        Assert.True(v.Missing.IsEmpty);

        Assert.Equal(1, v.Badges.Count);
        Assert.True(v.Badges.Contains("gold"));
        Assert.False(v.Badges.Contains("tin"));
        var badges = new List<string>();
        foreach (string b in v.Badges) badges.Add(b);
        Assert.Equal(new[] { "gold" }, badges);

        Assert.Equal(2, v.Stats.Count);
        Assert.Equal(100, v.Stats["hp"]);
        Assert.True(v.Stats.TryGetValue("mp", out int mp) && mp == 7);
        Assert.False(v.Stats.ContainsKey("xp"));
        Assert.Throws<KeyNotFoundException>(() => v.Stats["xp"]);
        var stats = new Dictionary<string, int>();
        foreach (KeyValuePair<string, int> pair in v.Stats) stats.Add(pair.Key, pair.Value);
        Assert.Equal(s.Stats, stats);
        Assert.True(v.NoStats.IsNull);
        Assert.Equal(0, v.NoStats.Count);
        Assert.False(v.NoStats.TryGetValue("hp", out _));
        foreach (KeyValuePair<string, int> unexpected in v.NoStats) Assert.Fail("a null dictionary reads as empty: " + unexpected.Key);

        Assert.Equal("sword", v.Main.Name);
        Assert.Equal(new[] { "sharp" }, v.Main.Mods.ToArray());
        Assert.Equal("shield", v.Offhand!.Value.Name);
        Assert.Null(v.NoOffhand);

        Assert.Equal(2, v.Bag.Count);
        Assert.Equal("potion", v.Bag[0].Name);
        var bag = new List<string>();
        foreach (ViewItem.View item in v.Bag) bag.Add(item.Name + item.Count);
        Assert.Equal(new[] { "potion5", "key1" }, bag);

        Assert.True(v.Slots.TryGetValue("head", out ViewItem.View helm));
        Assert.Equal("helm", helm.Name);
        Assert.Equal("helm", v.Slots["head"].Name);
        foreach (KeyValuePair<string, ViewItem.View> slot in v.Slots) Assert.Equal("head", slot.Key);

        Assert.Equal(2, v.Grid.Count);
        Assert.Equal(new[] { 1, 2 }, v.Grid[0].AsSpan().ToArray());
        Assert.Equal(3, v.Grid[1][0]);
        int cells = 0;
        foreach (ListView<int> row in v.Grid)
        {
            foreach (int cell in row) cells += cell;
        }

        Assert.Equal(6, cells);
        Assert.Equal(new[] { "bob", "eve" }, v.Groups["friends"].AsSpan().ToArray());

        Assert.Equal(5, v.Home.X);
        Assert.Equal(-5, v.Home.Y);
        Assert.Equal(2, v.Spawn!.Value.Y);
    }
}
