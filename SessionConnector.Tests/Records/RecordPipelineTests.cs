using System;
using SessionConnector.Protection;
using SessionConnector.Records;
using SessionConnector.Serialization;
using SessionConnector.Tests.Generators;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Records;

public sealed class RecordPipelineTests : IDisposable
{
    private const string Key = "storage-key";
    private const long Version = 42;

    private readonly SessionKeyRing _ring = SessionKeyRing.FromSecret(TestConnectors.Key);
    private readonly SessionProtector _protector;
    private readonly RecordPipeline _records;

    public RecordPipelineTests()
    {
        _protector = new SessionProtector(_ring);
        _records = new RecordPipeline(_protector);
    }

    public void Dispose()
    {
        _protector.Dispose();
        _ring.Dispose();
    }

    [Fact]
    public void WhenATypedRecordOpensNoPlaintextArrayIsAllocated()
    {
        // A struct session decodes without allocating, so whatever the open allocates is the pipeline's own: the plaintext
        // goes to a pooled buffer, never to a new array per read (that array was garbage on every memory-storage Get).
        byte[] envelope = _records.Seal(Key, new Point { X = 3, Y = 4 }, SessionFormat.MessagePack, Version, null, null);
        long sum = OpenAll(envelope, 10); // warm up: JIT, the pool's first buffer for this thread

        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += OpenAll(envelope, 100);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(110 * 7, sum);
    }

    [Fact]
    public void ATypedOpenJudgesARecordAsTheArrayOpenDoes()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] live = _records.Seal(Key, new Point { X = 1, Y = 2 }, SessionFormat.MessagePack, Version, now.AddHours(1), null);
        byte[] expired = _records.Seal(Key, new Point { X = 1, Y = 2 }, SessionFormat.MessagePack, Version, now.AddHours(-1), null);
        byte[] tampered = (byte[])live.Clone();
        tampered[^1] ^= 1;

        foreach ((byte[] envelope, long version, OpenResult expected) in new[]
        {
            (live, Version, OpenResult.Ok),
            (expired, Version, OpenResult.Expired),
            (tampered, Version, OpenResult.Authentication),
            (live, Version + 1, OpenResult.Authentication), // the version is authenticated
            (live, 0L, OpenResult.BadVersion),
            (live[..10], Version, OpenResult.Damaged),
            (Array.Empty<byte>(), Version, OpenResult.Damaged),
        })
        {
            Assert.Equal(expected, _records.TryOpen(Key, version, envelope, now, out Opened<Point> opened));
            Assert.Equal(expected, _records.TryOpen(Key, version, envelope, now, out byte[] payload, out _));
            if (expected == OpenResult.Ok)
            {
                Assert.Equal((1, 2), (opened.Value.X, opened.Value.Y));
                Assert.Equal(envelope.Length - EnvelopeFormat.Overhead, payload.Length);
            }
        }
    }

    private long OpenAll(byte[] envelope, int count)
    {
        long sum = 0;
        for (int i = 0; i < count; i++)
        {
            if (_records.TryOpen(Key, Version, envelope, DateTimeOffset.UtcNow, out Opened<Point> opened) != OpenResult.Ok) throw new InvalidOperationException("The record did not open.");
            sum += opened.Value.X + opened.Value.Y;
        }

        return sum;
    }
}
