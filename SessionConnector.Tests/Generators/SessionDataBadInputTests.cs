using System;
using System.Linq;
using System.Text;
using MessagePack;
using Xunit;

namespace SessionConnector.Tests.Generators;

/// <summary>Hostile or damaged bytes: the generated readers throw SessionFormatException and nothing else.</summary>
public sealed class SessionDataBadInputTests
{
    /// <summary>Returns normally or throws SessionFormatException; any other exception fails the test.</summary>
    private static void ReadOrRejectMessagePack<T>(byte[] bytes) where T : ISessionData<T>
    {
        try
        {
            Codec.FromMessagePack<T>(bytes);
        }
        catch (SessionFormatException)
        {
        }
    }

    private static void ReadOrRejectJson<T>(byte[] bytes) where T : ISessionData<T>
    {
        try
        {
            Codec.FromJson<T>(bytes);
        }
        catch (SessionFormatException)
        {
        }
    }

    [Fact]
    public void WhenMessagePackIsTruncatedAnywhereReadThrowsSessionFormatException()
    {
        var bytes = Codec.ToMessagePack(SessionDataRoundTripTests.Sample());
        Assert.True(bytes.Length > 200);
        for (var length = 0; length < bytes.Length; length++)
        {
            var cut = bytes.AsMemory(0, length);
            Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(cut));
        }
    }

    [Fact]
    public void WhenJsonIsTruncatedAnywhereReadThrowsSessionFormatException()
    {
        var bytes = Codec.ToJson(SessionDataRoundTripTests.Sample());
        for (var length = 0; length < bytes.Length; length++)
        {
            var cut = bytes.AsSpan(0, length).ToArray();
            Assert.Throws<SessionFormatException>(() => Codec.FromJson<AllTypes>(cut));
        }
    }

    [Fact]
    public void WhenBytesAreRandomGarbageReadThrowsOnlySessionFormatException()
    {
        var random = new Random(1234);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = new byte[random.Next(0, 96)];
            random.NextBytes(bytes);
            ReadOrRejectMessagePack<AllTypes>(bytes);
            ReadOrRejectMessagePack<TreeNode>(bytes);
            ReadOrRejectJson<AllTypes>(bytes);
        }
    }

    [Fact]
    public void WhenValidPayloadIsCorruptedReadThrowsOnlySessionFormatException()
    {
        var random = new Random(42);
        var msgpack = Codec.ToMessagePack(SessionDataRoundTripTests.Sample());
        var json = Codec.ToJson(SessionDataRoundTripTests.Sample());
        for (var i = 0; i < 3000; i++)
        {
            var m = (byte[])msgpack.Clone();
            var j = (byte[])json.Clone();
            for (var k = random.Next(1, 4); k > 0; k--)
            {
                m[random.Next(m.Length)] = (byte)random.Next(256);
                j[random.Next(j.Length)] = (byte)random.Next(256);
            }

            ReadOrRejectMessagePack<AllTypes>(m);
            ReadOrRejectJson<AllTypes>(j);
        }
    }

    [Theory]
    [InlineData("Int32", "not a number")]
    [InlineData("Byte", 300)]
    [InlineData("Bool", 1)]
    [InlineData("Guid", "not a guid")] // a 36-char UUID string is accepted (interop); anything else is not
    [InlineData("Decimal", "12,5x")]
    [InlineData("Items", 5)]
    [InlineData("Map", "x")]
    [InlineData("String", 42)]
    public void WhenMessagePackMemberHasWrongTypeReadThrowsSessionFormatException(string key, object value)
    {
        var bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write(key);
            switch (value)
            {
                case string s: w.Write(s); break;
                case int n: w.Write(n); break;
            }
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(bytes));
    }

    [Theory]
    [InlineData("""{"Int32":"1"}""")]
    [InlineData("""{"Byte":300}""")]
    [InlineData("""{"Int32":1.5}""")]
    [InlineData("""{"Bool":1}""")]
    [InlineData("""{"Guid":"nope"}""")]
    [InlineData("""{"TimeSpan":12}""")]
    [InlineData("""{"DateOnly":"31/12/1999"}""")]
    [InlineData("""{"Items":{}}""")]
    [InlineData("""{"Map":[]}""")]
    [InlineData("""{"Single":"Infinit"}""")]
    [InlineData("""{"Bytes":"***"}""")]
    [InlineData("""[]""")]
    [InlineData("""42""")]
    [InlineData("""{"Int32":1,}""")]
    public void WhenJsonMemberHasWrongTypeReadThrowsSessionFormatException(string json)
        => Assert.Throws<SessionFormatException>(() => Codec.FromJson<AllTypes>(json));

    [Fact]
    public void WhenArrayLengthPrefixIsHugeReadRejectsBeforeAllocating()
    {
        // array32 claiming ~2 billion ints, followed by nothing: allocating first would need 8 GB.
        var bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("IntArray");
            w.WriteArrayHeader(int.MaxValue);
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(bytes));
    }

    [Theory]
    [InlineData("Map")]
    [InlineData("Items")]
    [InlineData("Unknown")]
    public void WhenMapOrListLengthPrefixExceedsPayloadReadThrowsSessionFormatException(string key)
    {
        var bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write(key);
            if (key == "Map")
            {
                w.WriteMapHeader(100_000_000);
            }
            else
            {
                w.WriteArrayHeader(100_000_000);
            }

            w.Write(1);
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(bytes));
    }

    [Fact]
    public void WhenTopLevelMapLengthPrefixIsHugeReadThrowsSessionFormatException()
    {
        var bytes = new byte[] { 0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, (byte)'x' };
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(bytes));
    }

    [Fact]
    public void WhenRecursiveTypeIsNestedTooDeepMessagePackReadThrowsSessionFormatException()
    {
        const int depth = 100_000;
        var bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            for (var i = 0; i < depth; i++)
            {
                w.WriteMapHeader(1);
                w.Write("Next");
            }

            w.WriteNil();
        });
        var ex = Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<TreeNode>(bytes));
        Assert.Contains("deeper", ex.Message);
    }

    [Fact]
    public void WhenNestingIsWithinLimitRecursiveTypeReads()
    {
        var root = new TreeNode();
        var node = root;
        for (var i = 0; i < 30; i++)
        {
            node.Next = new TreeNode { Value = i };
            node = node.Next;
        }

        Assert.Equal(0, Codec.FromMessagePack<TreeNode>(Codec.ToMessagePack(root)).Next!.Value);
        Assert.Equal(0, Codec.FromJson<TreeNode>(Codec.ToJson(root)).Next!.Value);
    }

    [Fact]
    public void WhenUnknownValueIsNestedTooDeepSkipThrowsSessionFormatException()
    {
        const int depth = 100_000;
        var bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("Unknown");
            for (var i = 0; i < depth; i++)
            {
                w.WriteArrayHeader(1);
            }

            w.WriteNil();
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(bytes));
    }

    [Fact]
    public void WhenCollectionsAreNestedTooDeepReadThrowsSessionFormatException()
    {
        // List<TreeNode> → TreeNode → List<TreeNode> ... through Children, beyond the limit.
        const int depth = 5_000;
        var bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            for (var i = 0; i < depth; i++)
            {
                w.WriteMapHeader(1);
                w.Write("Children");
                w.WriteArrayHeader(1);
            }

            w.WriteMapHeader(0);
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<TreeNode>(bytes));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1_000_000)]
    public void WhenJsonIsNestedTooDeepReadThrowsSessionFormatException(int readerMaxDepth)
    {
        const int depth = 10_000;
        var json = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            json.Append("{\"Next\":");
        }

        json.Append("null").Append('}', depth);
        var bytes = Encoding.UTF8.GetBytes(json.ToString());
        Assert.Throws<SessionFormatException>(() => Codec.FromJson<TreeNode>(bytes, readerMaxDepth));
    }

    [Fact]
    public void WhenGuidBinaryHasWrongLengthReadThrowsSessionFormatException()
    {
        var bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("Guid");
            w.Write(new byte[15].AsSpan());
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(bytes));
    }

    [Fact]
    public void WhenDateValuesAreOutOfRangeReadThrowsSessionFormatException()
    {
        foreach (var (key, write) in new (string, WriteAction)[]
        {
            ("DateOnly", (ref MessagePackWriter w) => w.Write(int.MaxValue)),
            ("TimeOnly", (ref MessagePackWriter w) => w.Write(long.MaxValue)),
            ("DateTime", (ref MessagePackWriter w) => w.Write(long.MaxValue)),
            ("DateTimeOffset", (ref MessagePackWriter w) => { w.WriteArrayHeader(2); w.Write(0L); w.Write((short)5000); }),
            ("DateTimeOffset", (ref MessagePackWriter w) => { w.WriteArrayHeader(3); w.Write(0L); w.Write((short)0); w.Write(0); }),
        })
        {
            var bytes = Codec.Build((ref MessagePackWriter w) =>
            {
                w.WriteMapHeader(1);
                w.Write(key);
                write(ref w);
            });
            Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(bytes));
        }
    }

    [Fact]
    public void WhenStructPayloadIsNilReadThrowsSessionFormatException()
        => Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<Point>(new byte[] { 0xc0 }));

    [Fact]
    public void HandBuiltPayloadOfRightTypesReads()
    {
        // Control for the wrong-type cases: the same construction with correct types must decode.
        var bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(3);
            w.Write("Int32");
            w.Write(5);
            w.Write("Decimal");
            w.Write("12.5");
            w.Write("Map");
            w.WriteMapHeader(1);
            w.Write("k");
            w.Write(1);
        });
        var value = Codec.FromMessagePack<AllTypes>(bytes);
        Assert.Equal(5, value.Int32);
        Assert.Equal(12.5m, value.Decimal);
        Assert.Equal(1, value.Map!["k"]);
    }

    [Fact]
    public void WhenMapCountCannotFitInRemainingBytesReadThrowsSessionFormatException()
    {
        // 40 entries claimed, 60 bytes left: each entry needs at least 2 bytes.
        var bytes = Codec.Build((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("Map");
            w.WriteMapHeader(40);
            for (var i = 0; i < 60; i++)
            {
                w.Write(1);
            }
        });
        Assert.Throws<SessionFormatException>(() => Codec.FromMessagePack<AllTypes>(bytes));
    }

    [Fact]
    public void TruncationTestsCoverEveryPrefix()
    {
        // The truncation loops above must see every prefix as invalid; a full payload must still read.
        var bytes = Codec.ToMessagePack(SessionDataRoundTripTests.Sample());
        Assert.NotNull(Codec.FromMessagePack<AllTypes>(bytes));
        Assert.NotNull(Codec.FromJson<AllTypes>(Codec.ToJson(SessionDataRoundTripTests.Sample())));
        Assert.True(bytes.Skip(1).Any());
    }
}
