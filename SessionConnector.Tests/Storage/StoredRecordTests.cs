using System;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.Tests.Storage;

// StoredRecord keeps its expiry as ticks and an offset (so NativeAOT links no date formatting); it must still behave
// like the record struct of a DateTimeOffset? it was.
public sealed class StoredRecordTests
{
    public static TheoryData<DateTimeOffset?> Expiries() => new()
    {
        null,
        DateTimeOffset.MinValue,
        DateTimeOffset.MaxValue,
        new DateTimeOffset(2026, 11, 25, 21, 3, 4, TimeSpan.FromHours(2)).AddTicks(1234567),
        new DateTimeOffset(1999, 1, 2, 3, 4, 5, TimeSpan.FromMinutes(-(9 * 60 + 30))),
        new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(14)),
    };

    [Theory]
    [MemberData(nameof(Expiries))]
    public void TheExpiryRoundTripsWithItsOffset(DateTimeOffset? expiresAt)
    {
        var record = new StoredRecord([1, 2], 7, expiresAt);
        var changed = new StoredRecord([1, 2], 7, null) with { ExpiresAt = expiresAt };

        Assert.Equal(expiresAt, record.ExpiresAt);
        Assert.Equal(expiresAt?.Offset, record.ExpiresAt?.Offset);
        Assert.Equal(expiresAt?.Offset, changed.ExpiresAt?.Offset);
        (byte[] value, long version, DateTimeOffset? at) = record;
        Assert.Equal([1, 2], value);
        Assert.Equal(7, version);
        Assert.Equal(expiresAt?.Ticks, at?.Ticks);
    }

    [Fact]
    public void EqualityComparesTheEnvelopeArrayTheVersionAndTheExpiryInstant()
    {
        byte[] envelope = [1, 2, 3];
        var utc = new DateTimeOffset(2026, 11, 25, 20, 0, 0, TimeSpan.Zero);
        var record = new StoredRecord(envelope, 3, utc);

        var sameInstantOtherOffset = new StoredRecord(envelope, 3, utc.ToOffset(TimeSpan.FromHours(5)));
        Assert.Equal(record, sameInstantOtherOffset);
        Assert.True(record == sameInstantOtherOffset);
        Assert.Equal(record.GetHashCode(), sameInstantOtherOffset.GetHashCode());

        Assert.NotEqual(record, new StoredRecord(envelope, 3, utc.AddTicks(1)));
        Assert.NotEqual(record, new StoredRecord(envelope, 3, null));
        Assert.NotEqual(record, new StoredRecord(envelope, 4, utc));
        Assert.NotEqual(record, new StoredRecord([1, 2, 3], 3, utc)); // an equal copy is another array, as before
        Assert.Equal(new StoredRecord(envelope, 3, null), new StoredRecord(envelope, 3, null));
    }

    [Fact]
    public void ToStringPrintsTheExpiryInTheRoundTripForm()
    {
        var at = new DateTimeOffset(2026, 11, 25, 21, 3, 4, TimeSpan.FromMinutes(-(9 * 60 + 30))).AddTicks(1234567);

        Assert.Equal($"StoredRecord {{ Value = System.Byte[], Version = 3, ExpiresAt = {at:O} }}", new StoredRecord([1], 3, at).ToString());
        Assert.Equal("StoredRecord { Value = System.Byte[], Version = 3, ExpiresAt =  }", new StoredRecord([1], 3, null).ToString());
    }
}
