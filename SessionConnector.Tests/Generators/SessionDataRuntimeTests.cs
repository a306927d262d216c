using System;
using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;
using SessionConnector.Generated;
using SessionConnector.Serialization;
using Xunit;

namespace SessionConnector.Tests.Generators;

/// <summary>The input limits and key matching every generated reader relies on, tested once here.</summary>
public sealed class SessionDataRuntimeTests
{
    // The keys "a", "bb", "ccc" as generated readers pass them: one UTF-8 run and where each key ends.
    private static ReadOnlySpan<byte> Names => "abbccc"u8;

    private static ReadOnlySpan<int> Ends => new[] { 1, 3, 6 };

    // The readers rely on MessagePack's header reads to reject a count the remaining bytes cannot hold (two bytes per
    // map entry, one per array item) before anything is allocated for it; a MessagePack upgrade that dropped the
    // check would fail here.
    [Theory]
    [InlineData(0xdf, 5, 10, false)]
    [InlineData(0xdf, 6, 10, true)]
    [InlineData(0xdf, int.MaxValue, 10, true)]
    [InlineData(0xdd, 10, 10, false)]
    [InlineData(0xdd, 11, 10, true)]
    [InlineData(0xdd, int.MaxValue, 0, true)]
    public void EnterMapAndEnterArrayRejectACountTheRemainingBytesCannotHold(byte code, int count, int remaining, bool throws)
    {
        var bytes = new byte[5 + remaining];
        bytes[0] = code;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), count);
        Exception? ex = null;
        try
        {
            var reader = new MessagePackReader(bytes);
            int read = code == 0xdf ? SessionDataRuntime.EnterMap(ref reader) : SessionDataRuntime.EnterArray(ref reader);
            Assert.Equal(count, read);
            Assert.Equal(1, reader.Depth);
        }
        catch (Exception e)
        {
            ex = e;
        }

        Assert.Equal(throws, ex is not null);
        Assert.True(ex is null || SessionDataRuntime.IsDecodeError(ex), ex?.ToString());
    }

    [Fact]
    public void EnterThrowsOnlyPastMaxDepth()
    {
        var reader = new MessagePackReader(Array.Empty<byte>());
        for (var i = 0; i < SessionDataRuntime.MaxDepth; i++)
        {
            SessionDataRuntime.Enter(ref reader);
        }

        Assert.Equal(SessionDataRuntime.MaxDepth, reader.Depth);
        SessionDataRuntime.Leave(ref reader);
        SessionDataRuntime.Enter(ref reader);
        Exception? ex = null;
        try
        {
            SessionDataRuntime.Enter(ref reader);
        }
        catch (Exception e)
        {
            ex = e;
        }

        Assert.IsType<SessionFormatException>(ex);
    }

    [Theory]
    [InlineData(SessionDataRuntime.MaxDepth, false)]
    [InlineData(SessionDataRuntime.MaxDepth + 1, true)]
    public void SkipCountsDepth(int depth, bool throws)
    {
        var bytes = new byte[depth + 1];
        bytes.AsSpan(0, depth).Fill(0x91); // fixarray of one
        bytes[depth] = 0xc0;
        var reader = new MessagePackReader(bytes);
        Exception? ex = null;
        try
        {
            SessionDataRuntime.Skip(ref reader);
            Assert.True(reader.End);
            Assert.Equal(0, reader.Depth);
        }
        catch (Exception e)
        {
            ex = e;
        }

        Assert.Equal(throws, ex is SessionFormatException);
        Assert.True(throws || ex is null, ex?.ToString());
    }

    [Theory]
    [InlineData("a", 0, 0)]
    [InlineData("bb", 1, 1)]
    [InlineData("bb", 0, 1)]
    [InlineData("ccc", 7, 2)]
    [InlineData("dddd", 0, -1)]
    [InlineData("", 0, -1)]
    public void ReadKeyTriesThePositionThenScans(string key, int position, int expected)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        SessionDataRuntime.WriteString(ref writer, key);
        writer.Flush();
        var reader = new MessagePackReader(buffer.WrittenMemory);
        ulong seen = 0;
        Assert.Equal(expected, SessionDataRuntime.ReadKey(ref reader, position, Names, Ends, ref seen));
        Assert.Equal(expected < 0 ? 0UL : 1UL << expected, seen);

        var json = new Utf8JsonReader(Encoding.UTF8.GetBytes("{\"" + key + "\":1}"));
        json.Read();
        json.Read();
        seen = 0;
        Assert.Equal(expected, SessionDataRuntime.ReadJsonKey(ref json, position, Names, Ends, ref seen));
        Assert.Equal(expected < 0 ? 0UL : 1UL << expected, seen);
        Assert.Equal(JsonTokenType.Number, json.TokenType);
    }

    [Fact]
    public void WhenAKeysBitIsSetReadKeyThrows()
    {
        var reader = new MessagePackReader(new byte[] { 0xa2, (byte)'b', (byte)'b' });
        ulong seen = 0b010;
        try
        {
            SessionDataRuntime.ReadKey(ref reader, 1, Names, Ends, ref seen);
            Assert.Fail("A second \"bb\" was accepted.");
        }
        catch (SessionFormatException ex)
        {
            Assert.Contains("twice", ex.Message);
        }

        var json = new Utf8JsonReader("{\"bb\":1}"u8);
        json.Read();
        json.Read();
        seen = 0b010;
        try
        {
            SessionDataRuntime.ReadJsonKey(ref json, 1, Names, Ends, ref seen);
            Assert.Fail("A second \"bb\" was accepted.");
        }
        catch (SessionFormatException ex)
        {
            Assert.Contains("twice", ex.Message);
        }
    }

    [Fact]
    public void WhenKeyIsNilReadKeyMatchesNothing()
    {
        var reader = new MessagePackReader(new byte[] { 0xc0 });
        ulong seen = 0;
        Assert.Equal(-1, SessionDataRuntime.ReadKey(ref reader, 0, Names, Ends, ref seen));
        Assert.Equal(0UL, seen);
        Assert.True(reader.End);
    }

    [Fact]
    public void WriteStringWritesUtf8OrNil()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        SessionDataRuntime.WriteString(ref writer, "h\u00e9");
        SessionDataRuntime.WriteString(ref writer, null);
        writer.Flush();
        Assert.Equal(new byte[] { 0xa3, (byte)'h', 0xc3, 0xa9, 0xc0 }, buffer.WrittenSpan.ToArray());
    }

    // Lengths around every header boundary (fixstr 31, str8 255, the one-pass limit of 1024 chars) in 1-, 2- and
    // 3-byte UTF-8, where the reserved header and the actual one differ.
    [Theory]
    [InlineData("a", 0)]
    [InlineData("a", 1)]
    [InlineData("a", 10)]
    [InlineData("a", 11)]
    [InlineData("a", 31)]
    [InlineData("a", 32)]
    [InlineData("a", 85)]
    [InlineData("a", 86)]
    [InlineData("a", 255)]
    [InlineData("a", 256)]
    [InlineData("a", 1024)]
    [InlineData("a", 1025)]
    [InlineData("\u00e9", 15)]
    [InlineData("\u00e9", 16)]
    [InlineData("\u00e9", 127)]
    [InlineData("\u00e9", 128)]
    [InlineData("\u20ac", 10)]
    [InlineData("\u20ac", 11)]
    [InlineData("\u20ac", 85)]
    [InlineData("\u20ac", 86)]
    [InlineData("\u20ac", 1024)]
    [InlineData("\ud83d\ude00", 8)]
    [InlineData("\ud83d\ude00", 512)]
    [InlineData("\u00e9a", 20)]
    [InlineData("a\ud83d\ude00b", 30)]
    public void WriteStringWritesTheShortestHeaderThenUtf8(string unit, int repeat)
    {
        string value = "x" + string.Concat(System.Linq.Enumerable.Repeat(unit, repeat));
        Assert.Equal(HeaderThenUtf8(value, oldSpec: false), Written(value, oldSpec: false));
        Assert.Equal(HeaderThenUtf8(value, oldSpec: true), Written(value, oldSpec: true));
    }

    [Fact]
    public void WriteStringOfAnUnpairedSurrogateWritesTheReplacementCharacter()
    {
        Assert.Equal(new byte[] { 0xa4, (byte)'a', 0xef, 0xbf, 0xbd }, Written("a\ud800", oldSpec: false));
        Assert.Equal(new byte[] { 0xa4, 0xef, 0xbf, 0xbd, (byte)'a' }, Written("\udc00a", oldSpec: false));
    }

    // ASCII, 2- to 4-byte UTF-8, malformed UTF-8 (replacement characters), empty, nil, and a str8 header.
    [Theory]
    [InlineData(new byte[] { 0xa5, (byte)'t', (byte)'h', (byte)'e', (byte)'m', (byte)'e' })]
    [InlineData(new byte[] { 0xa3, (byte)'h', 0xc3, 0xa9 })]
    [InlineData(new byte[] { 0xa7, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80 })]
    [InlineData(new byte[] { 0xa4, (byte)'a', 0xff, 0x80, (byte)'b' })]
    [InlineData(new byte[] { 0xa2, 0xc3, (byte)'x' })]
    [InlineData(new byte[] { 0xa0 })]
    [InlineData(new byte[] { 0xc0 })]
    [InlineData(new byte[] { 0xd9, 0x02, (byte)'o', (byte)'k' })]
    public void ReadStringDecodesAsMessagePackDoes(byte[] payload)
    {
        var expected = new MessagePackReader(payload);
        var reader = new MessagePackReader(payload);
        Assert.Equal(expected.ReadString(), SessionDataRuntime.ReadString(ref reader));
        Assert.True(reader.End);
    }

    [Fact]
    public void ReadStringOfANonStringThrowsADecodeError()
    {
        Exception? ex = null;
        try
        {
            var reader = new MessagePackReader(new byte[] { 0x01 });
            SessionDataRuntime.ReadString(ref reader);
        }
        catch (Exception e)
        {
            ex = e;
        }

        Assert.NotNull(ex);
        Assert.True(SessionDataRuntime.IsDecodeError(ex));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(300)]
    public void WriteKeyWritesAStrHeaderThenTheKey(int length)
    {
        byte[] key = Encoding.UTF8.GetBytes(new string('k', length));
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        SessionDataRuntime.WriteKey(ref writer, key);
        writer.Flush();
        var reader = new MessagePackReader(buffer.WrittenMemory);
        Assert.Equal(new string('k', length), reader.ReadString());
        Assert.True(reader.End);
        Assert.Equal(length <= 31 ? 1 + length : length <= 255 ? 2 + length : 3 + length, buffer.WrittenCount);
    }

    private static byte[] Written(string value, bool oldSpec)
    {
        // A small first buffer, so the writer also has to ask for more room in the middle of the payload.
        var buffer = new ArrayBufferWriter<byte>(1);
        var writer = new MessagePackWriter(buffer) { OldSpec = oldSpec };
        writer.WriteNil();
        SessionDataRuntime.WriteString(ref writer, value);
        writer.Flush();
        return buffer.WrittenSpan[1..].ToArray();
    }

    // The reference: MessagePack's own header writer, then the UTF-8 bytes.
    private static byte[] HeaderThenUtf8(string value, bool oldSpec)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer) { OldSpec = oldSpec };
        writer.WriteStringHeader(utf8.Length);
        writer.WriteRaw(utf8);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void JsonContainersDeeperThanMaxDepthAreRejected()
    {
        var json = new string('[', SessionDataRuntime.MaxDepth + 1);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = 1000 });
        for (var i = 0; i < SessionDataRuntime.MaxDepth; i++)
        {
            reader.Read();
            SessionDataRuntime.EnterJson(ref reader, JsonTokenType.StartArray);
        }

        reader.Read();
        Exception? ex = null;
        try
        {
            SessionDataRuntime.EnterJson(ref reader, JsonTokenType.StartArray);
        }
        catch (Exception e)
        {
            ex = e;
        }

        Assert.IsType<SessionFormatException>(ex);
    }

    [Fact]
    public void DecodeErrorsAreWrappedOnceWithTheTypeName()
    {
        var inner = new FormatException("bad");
        var wrapped = SessionDataRuntime.Wrap("Cart", inner);
        Assert.Contains("'Cart'", wrapped.Message);
        Assert.Same(inner, wrapped.InnerException);
        Assert.Same(wrapped, SessionDataRuntime.Wrap("Other", wrapped));
        Assert.True(SessionDataRuntime.IsDecodeError(inner));
        Assert.False(SessionDataRuntime.IsDecodeError(new OutOfMemoryException()));
    }
}
