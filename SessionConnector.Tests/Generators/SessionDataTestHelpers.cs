using System;
using System.Buffers;
using System.Text.Json;
using MessagePack;

namespace SessionConnector.Tests.Generators;

/// <summary>Calls the generated static members exactly the way the connector does: through the interface constraint.</summary>
/// <summary>The writer buffers internally, so hand-built payloads must write through a reference, never a copy.</summary>
internal delegate void WriteAction(ref MessagePackWriter writer);

internal static class Codec
{
    public static byte[] ToMessagePack<T>(T value) where T : ISessionData<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        T.WriteMessagePack(ref writer, value);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads from a sequence with one byte per segment, so every key and value straddles a segment boundary.</summary>
    public static T FromFragmentedMessagePack<T>(byte[] bytes) where T : ISessionData<T>
    {
        Segment? first = null;
        Segment? last = null;
        foreach (var b in bytes)
        {
            var next = new Segment(new[] { b }, last?.RunningIndex + 1 ?? 0);
            if (last is null)
            {
                first = next;
            }
            else
            {
                last.SetNext(next);
            }

            last = next;
        }

        var sequence = first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, 1);
        var reader = new MessagePackReader(sequence);
        return T.ReadMessagePack(ref reader);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }

    public static T FromMessagePack<T>(ReadOnlyMemory<byte> bytes) where T : ISessionData<T>
    {
        var reader = new MessagePackReader(bytes);
        return T.ReadMessagePack(ref reader);
    }

    public static byte[] ToJson<T>(T value) where T : ISessionData<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            T.WriteJson(writer, value);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static T FromJson<T>(ReadOnlySpan<byte> bytes, int maxDepth = 0) where T : ISessionData<T>
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = maxDepth });
        return T.ReadJson(ref reader);
    }

    public static T FromJson<T>(string json) where T : ISessionData<T> => FromJson<T>(System.Text.Encoding.UTF8.GetBytes(json));

    public static T Clone<T>(T value) where T : ISessionData<T> => T.DeepClone(value);

    public static T Default<T>() where T : ISessionData<T> => T.CreateDefault();

    public static T RoundTrip<T>(T value, bool json) where T : ISessionData<T>
        => json ? FromJson<T>(ToJson(value)) : FromMessagePack<T>(ToMessagePack(value));

    /// <summary>Builds MessagePack bytes by hand for payloads the generated writer would never produce.</summary>
    public static byte[] Build(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
