using System;
using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using MessagePack;
using MessagePack.Resolvers;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Comparison 5: serialize + deserialize a typical session (5-item list, 4-entry dictionary) into a reused buffer.
/// SessionConnector's codec (the [SessionData] generator's output, or its hand-written stand-in until the generator
/// is merged) vs MessagePack-CSharp with [MessagePackObject(keyAsPropertyName: true)] (the same map-by-name wire
/// shape, dynamic resolver, JIT) vs System.Text.Json source generation.
/// </summary>
[BenchmarkCategory(Categories.Serializer)]
[Comparison("5. Serializer round trip (typical session)",
    "Serialize into a reused ArrayBufferWriter, then deserialize. MessagePack-CSharp: [MessagePackObject(keyAsPropertyName: true)] (the same map-by-name wire shape), StandardResolver (dynamic, JIT). Generated_Json is our JSON path, informational.")]
public class SerializerBenchmarks
{
    private BenchSession _value = null!;
    private ArrayBufferWriter<byte> _buffer = null!;
    private Utf8JsonWriter _json = null!;
    private MessagePackSerializerOptions _mpOptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        _value = BenchSession.CreateTypical();
        _buffer = new ArrayBufferWriter<byte>(1024);
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
        _mpOptions = MessagePackSerializerOptions.Standard.WithResolver(StandardResolver.Instance);
        if (Generated().Cart.Count != 5 || MessagePackCSharp().Cart.Count != 5 || SystemTextJson().Cart.Count != 5)
        {
            throw new InvalidOperationException("A contender did not round-trip.");
        }
    }

    [Benchmark(Baseline = true)]
    public BenchSession MessagePackCSharp()
    {
        _buffer.ResetWrittenCount();
        MessagePackSerializer.Serialize(_buffer, _value, _mpOptions);
        return MessagePackSerializer.Deserialize<BenchSession>(_buffer.WrittenMemory, _mpOptions);
    }

    [Benchmark]
    [Target("≤ 0.7×", Note = "issue 18; was ≤ 0.8×")]
    [Target("≤ 0.5×", Versus = nameof(SystemTextJson))]
    public BenchSession Generated() => RoundTrip<BenchSession>(_value);

    [Benchmark]
    public BenchSession SystemTextJson()
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        JsonSerializer.Serialize(_json, _value, BenchJsonContext.Default.BenchSession);
        _json.Flush();
        return JsonSerializer.Deserialize(_buffer.WrittenSpan, BenchJsonContext.Default.BenchSession)!;
    }

    [Benchmark]
    public BenchSession Generated_Json() => RoundTripJson<BenchSession>(_value);

    private T RoundTrip<T>(T value) where T : ISessionData<T>
    {
        _buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(_buffer);
        T.WriteMessagePack(ref writer, value);
        writer.Flush();
        var reader = new MessagePackReader(_buffer.WrittenMemory);
        return T.ReadMessagePack(ref reader);
    }

    private T RoundTripJson<T>(T value) where T : ISessionData<T>
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        T.WriteJson(_json, value);
        _json.Flush();
        var reader = new Utf8JsonReader(_buffer.WrittenSpan);
        reader.Read();
        return T.ReadJson(ref reader);
    }
}
