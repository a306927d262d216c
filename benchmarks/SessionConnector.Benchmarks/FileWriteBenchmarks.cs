using System;
using System.Buffers.Binary;
using System.IO;
using BenchmarkDotNet.Attributes;
using SessionConnector.Storage;

namespace SessionConnector.Benchmarks;

/// <summary>
/// Comparison 6: a durable file write. <see cref="FileSessionStorage.Write"/> with <see cref="FileDurability.PowerLoss"/>
/// vs the bare sequence it has to perform: create a temp file, write header + value, fsync, rename over the record,
/// fsync the directory. Same bytes, same directory layout (temp file in a sibling folder on the same file system).
/// The ProcessCrash row (no fsyncs) shows how much of the cost is the disk.
/// </summary>
[BenchmarkCategory(Categories.FileWrite)]
[Comparison("6. Durable file Set",
    "Same 24 + 330 bytes, same layout. The NoFsync pair (bare sequence without fsyncs vs ProcessCrash durability) is informational: it shows the storage's own overhead without the disk.")]
public class FileWriteBenchmarks
{
    private string _directory = "";
    private string _bareDirectory = "";
    private FileSessionStorage _durable = null!;
    private FileSessionStorage _processCrash = null!;
    private byte[] _value = [];
    private byte[] _header = new byte[24];
    private string _key = "";
    private string _barePath = "";
    private string _bareTempDirectory = "";
    private long _version;

    [GlobalSetup]
    public void Setup()
    {
        _value = new byte[330]; // about the size of the typical session's envelope (payload + 50 B overhead)
        new Random(5).NextBytes(_value);
        _key = Shared.SessionIds(1)[0];
        _directory = Shared.ScratchDirectory("file-storage");
        _durable = new FileSessionStorage(Path.Combine(_directory, "durable"), FileDurability.PowerLoss);
        _processCrash = new FileSessionStorage(Path.Combine(_directory, "process-crash"), FileDurability.ProcessCrash);
        _bareDirectory = Path.Combine(_directory, "bare");
        _bareTempDirectory = Path.Combine(_bareDirectory, ".tmp");
        Directory.CreateDirectory(_bareTempDirectory);
        _barePath = Path.Combine(_bareDirectory, _key + ".session");
        "SCF1"u8.CopyTo(_header);
        BinaryPrimitives.WriteInt32LittleEndian(_header.AsSpan(4), _value.Length);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _durable.Dispose();
        _processCrash.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Benchmark(Baseline = true)]
    public void BareTempWriteFsyncRename()
    {
        BinaryPrimitives.WriteInt64LittleEndian(_header.AsSpan(8), ++_version);
        string temp = Path.Combine(_bareTempDirectory, _key + ".tmp");
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(_header);
            stream.Write(_value);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, _barePath, overwrite: true);
        // The same directory fsync the product uses (one syscall sequence; nothing of the product's logic).
        SessionConnector.Storage.Files.FileOperations.Default.FlushDirectory(_bareDirectory);
    }

    /// <summary>The same sequence without the two fsyncs: the reference for the ProcessCrash row.</summary>
    [Benchmark]
    public void BareTempWriteRename_NoFsync()
    {
        BinaryPrimitives.WriteInt64LittleEndian(_header.AsSpan(8), ++_version);
        string temp = Path.Combine(_bareTempDirectory, _key + ".tmp");
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(_header);
            stream.Write(_value);
        }

        File.Move(temp, _barePath, overwrite: true);
    }

    [Benchmark]
    [Target("≤ 1.2×", Note = "bare temp-write + fsync + rename + dir fsync")]
    public bool FileSessionStorage_PowerLoss() => _durable.TryWrite(_key, _value, null, SessionStorage.AnyVersion, ++_version);

    [Benchmark]
    public bool FileSessionStorage_ProcessCrash() => _processCrash.TryWrite(_key, _value, null, SessionStorage.AnyVersion, ++_version);
}
