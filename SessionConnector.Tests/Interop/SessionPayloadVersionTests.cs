using System;
using MessagePack;
using SessionConnector.Serialization;
using SessionConnector.Tests.Generators;
using Xunit;

namespace SessionConnector.Tests.Interop;

/// <summary>The payload's first byte says how Guid bins are ordered: records written before version 3 keep reading.</summary>
public sealed class SessionPayloadVersionTests
{
    private static readonly Guid Uuid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");

    /// <summary>A record body with one Guid as a bin in .NET's own byte order, as main wrote it before version 3.</summary>
    private static byte[] Payload(byte version)
    {
        var body = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("Guid");
            w.Write(Uuid.ToByteArray());
        });
        var payload = new byte[SessionPayload.HeaderSize + body.Length];
        payload[0] = version;
        body.CopyTo(payload, SessionPayload.HeaderSize);
        return payload;
    }

    [Fact]
    public void WhenRecordPredatesVersion3GuidReadsInDotNetByteOrder()
    {
        var payload = Payload(1);
        Assert.True(SessionPayload.TryReadHeader(payload, out var format, out _, out _));
        Assert.Equal(SessionFormat.MessagePack, format);
        Assert.Equal(Uuid, SessionPayload.Decode<InteropSample>(payload, format).Guid);
    }

    [Fact]
    public void WhenSameBytesAreMarkedVersion3GuidReadsInRfcOrder()
    {
        // Control for the test above: the version byte, not the bytes, decides the order.
        var payload = Payload(3);
        Assert.True(SessionPayload.TryReadHeader(payload, out var format, out _, out _));
        Assert.Equal(new Guid(Uuid.ToByteArray(), bigEndian: true), SessionPayload.Decode<InteropSample>(payload, format).Guid);
        Assert.NotEqual(Uuid, SessionPayload.Decode<InteropSample>(payload, format).Guid);
    }

    [Fact]
    public void NewMessagePackRecordsAreVersion3AndRoundTrip()
    {
        var payload = SessionPayload.Encode(new InteropSample { Guid = Uuid }, SessionFormat.MessagePack, null, null).ToArray();
        Assert.Equal(3, payload[0]);
        Assert.True(SessionPayload.TryReadHeader(payload, out var format, out _, out _));
        Assert.Equal(Uuid, SessionPayload.Decode<InteropSample>(payload, format).Guid);
    }

    [Fact]
    public void JsonRecordsKeepFormatByte2()
        => Assert.Equal(2, SessionPayload.Encode(new InteropSample(), SessionFormat.Json, null, null)[0]);

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(255)]
    public void WhenFormatByteIsUnknownHeaderIsRejected(byte version)
        => Assert.False(SessionPayload.TryReadHeader(Payload(version), out _, out _, out _));

    [Fact]
    public void LegacyOrderDoesNotLeakIntoTheNextDecodeOnTheThread()
    {
        SessionPayload.Decode<InteropSample>(Payload(1), SessionFormat.MessagePack);
        var fresh = SessionSerializer.ToMessagePack(new InteropSample { Guid = Uuid });
        Assert.Equal(Uuid, SessionSerializer.FromMessagePack<InteropSample>(fresh).Guid);
    }
}
