using System;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Storage;

public sealed class MemorySessionStorageTests
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = new();

    [Fact]
    public void TheLeastRecentlyUsedRecordIsEvictedPastTheBound()
    {
        var s = new MemorySessionStorage(3, _clock);
        s.TryWrite("a", new byte[] { 1 }, null, SessionStorage.Absent, 1);
        s.TryWrite("b", new byte[] { 1 }, null, SessionStorage.Absent, 1);
        s.TryWrite("c", new byte[] { 1 }, null, SessionStorage.Absent, 1);
        s.Read("a"); // a is now the most recently used
        s.TryWrite("d", new byte[] { 1 }, null, SessionStorage.Absent, 1);

        Assert.Equal(3, s.Count);
        Assert.NotNull(s.Read("a"));
        Assert.Null(s.Read("b"));
    }

    [Fact]
    public void RecordsExpireAndPurgeRemovesThem()
    {
        var s = new MemorySessionStorage(10, _clock);
        s.TryWrite("a", new byte[] { 1 }, _clock.GetUtcNow().AddSeconds(5), SessionStorage.Absent, 1);
        s.TryWrite("b", new byte[] { 1 }, _clock.GetUtcNow().AddSeconds(50), SessionStorage.Absent, 1);
        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Null(s.Read("a"));
        s.TryWrite("c", new byte[] { 1 }, _clock.GetUtcNow().AddSeconds(1), SessionStorage.Absent, 1);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, s.PurgeExpired());
        Assert.Equal(1, s.Count);
    }

    [Fact]
    public void CompareAndSetTreatsAnExpiredRecordAsAbsent()
    {
        var s = new MemorySessionStorage(10, _clock);
        s.TryWrite("a", new byte[] { 1 }, _clock.GetUtcNow().AddSeconds(5), SessionStorage.Absent, 7);
        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.False(s.TryWrite("a", new byte[] { 2 }, null, 7, 8));
        Assert.True(s.TryWrite("a", new byte[] { 2 }, null, SessionStorage.Absent, 8));
    }

    [Fact]
    public void WrittenBytesAreCopied()
    {
        var s = new MemorySessionStorage(10, _clock);
        byte[] value = { 1, 2 };
        s.TryWrite("a", value, null, SessionStorage.Absent, 1);
        value[0] = 9;
        Assert.Equal(1, s.Read("a")!.Value.Value[0]);
    }

    // The connector hands over a fresh envelope it never touches again; copying it would double every Set's allocation.
    [Fact]
    public void AnOwnedWriteKeepsTheHandedOverArray()
    {
        var s = new MemorySessionStorage(10, _clock);
        byte[] first = { 1, 2 }, second = { 3, 4 };

        Assert.True(s.TryWriteOwned("a", first, null, SessionStorage.Absent, 1));
        Assert.Same(first, s.Read("a")!.Value.Value);
        Assert.True(s.TryWriteOwned("a", second, null, 1, 2));
        Assert.Same(second, s.Read("a")!.Value.Value);
    }

    [Fact]
    public void AnOwnedWriteIsTheSameCompareAndSet()
    {
        var s = new MemorySessionStorage(10, _clock);
        byte[] stored = { 1 };
        Assert.True(s.TryWriteOwned("a", stored, _clock.GetUtcNow().AddSeconds(5), SessionStorage.Absent, 7));

        Assert.False(s.TryWriteOwned("a", new byte[] { 2 }, null, SessionStorage.Absent, 8)); // live: not absent
        Assert.False(s.TryWriteOwned("a", new byte[] { 2 }, null, 6, 8)); // stale expected version
        Assert.Same(stored, s.Read("a")!.Value.Value); // a failed write leaves the record intact
        Assert.Equal(7, s.Read("a")!.Value.Version);

        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.False(s.TryWriteOwned("a", new byte[] { 2 }, null, 7, 8)); // expired counts as absent
        Assert.True(s.TryWriteOwned("a", new byte[] { 3 }, null, SessionStorage.AnyVersion, 9));
        Assert.Equal(9, s.Read("a")!.Value.Version);
    }
}
