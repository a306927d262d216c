using System;
using System.Buffers.Binary;
using System.Linq;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Connector;

/// <summary>Rotation through the connector: nobody is logged out, old records move to the primary on their next write.</summary>
public sealed class KeyRotationTests
{
    private static readonly byte[] K1 = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] K2 = Enumerable.Range(101, 32).Select(i => (byte)i).ToArray();

    private static SessionStorageConnector Open(SessionStorage storage, SessionKeyRing ring) =>
        new(storage, new SessionConnectorOptions { Keys = ring, CacheCapacity = 0 });

    private static uint KeyIdOfOnlyRecord(RecordingStorage spy, string key) =>
        BinaryPrimitives.ReadUInt32BigEndian(spy.Read(key)!.Value.Value.AsSpan(2, 4));

    [Fact]
    public void RotatingThePrimaryKeepsSessionsAndReencryptsThemOnTheirNextWrite()
    {
        var spy = new RecordingStorage(new MemorySessionStorage());
        string id = SessionStorageConnector.GenerateId();
        Open(spy, new SessionKeyRing().AddKey(1, K1, primary: true)).Set(id, new Counter { Value = 1 });
        string key = spy.Keys.First();
        Assert.Equal(1u, KeyIdOfOnlyRecord(spy, key));

        var rotated = Open(spy, new SessionKeyRing().AddKey(1, K1).AddKey(2, K2, primary: true));
        Assert.Equal(1, rotated.Get<Counter>(id)!.Value); // still logged in
        Assert.True(rotated.Update<Counter>(id, c => c.Value++));

        Assert.Equal(2u, KeyIdOfOnlyRecord(spy, key)); // rewritten under the primary, same storage key
        Assert.Single(spy.Keys.Distinct());
    }

    [Fact]
    public void RecordsUnderARevokedKeyReadAsAbsentAndAreCounted()
    {
        var storage = new MemorySessionStorage();
        string id = SessionStorageConnector.GenerateId();
        Open(storage, new SessionKeyRing().AddKey(1, K1, primary: true)).Set(id, new Counter { Value = 1 });

        var revoked = Open(storage, new SessionKeyRing().AddKey(1, K1).AddKey(2, K2, primary: true).Revoke(1));
        var rejected = new MetricCounter(revoked.Meter, "sessionconnector.records.rejected");

        Assert.Null(revoked.Get<Counter>(id));
        Assert.Equal(1, rejected.Total);
        Assert.Equal(0, storage.Count); // evicted
    }

    [Fact]
    public void ANodeWithoutTheNewKeyReadsItsRecordsAsAbsentButLeavesThemForNodesThatHaveIt()
    {
        // Rolling key deployment: node A already encrypts with key 2, node B only knows key 1.
        var storage = new MemorySessionStorage();
        string id = SessionStorageConnector.GenerateId();
        var a = Open(storage, new SessionKeyRing().AddKey(1, K1).AddKey(2, K2, primary: true));
        var b = Open(storage, new SessionKeyRing().AddKey(1, K1, primary: true));
        a.Set(id, new Counter { Value = 5 });
        var rejected = new MetricCounter(b.Meter, "sessionconnector.records.rejected");

        Assert.Null(b.Get<Counter>(id));
        Assert.False(b.Update<Counter>(id, c => c.Value++));

        Assert.Equal(2, rejected.Total);
        Assert.Equal(5, a.Get<Counter>(id)!.Value); // B did not log the user out for everyone
    }
}
