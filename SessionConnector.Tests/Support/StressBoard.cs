using System;
using System.IO;
using System.IO.MemoryMappedFiles;

namespace SessionConnector.Tests.Support;

/// <summary>
/// A page of counters shared by a multi-process stress test and its workers (a mapped file): what each worker has
/// attempted and had acknowledged, so every process can check what it reads against what others were told, and the parent
/// can check the store against the sum at the end.
/// </summary>
/// <remarks>
/// Every cell has one writer (a worker writes only its own column; the parent only the stop flag; a key's owner only its
/// generation cells), so plain aligned 64-bit loads and stores suffice and no cross-process atomic is needed. A worker
/// killed and restarted under the same index continues its own column.
/// </remarks>
internal sealed class StressBoard : IDisposable
{
    public const int MaxWorkers = 8;
    public const int MaxKeys = 8;
    private const int StopCell = 0;
    private const int FirstTableCell = 16;
    private const long Size = 4096;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;

    private StressBoard(string path)
    {
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.OpenOrCreate, null, Size, MemoryMappedFileAccess.ReadWrite);
        _view = _file.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite);
    }

    /// <summary>Opens (creating, zeroed, if missing) the board at <paramref name="path"/>.</summary>
    public static StressBoard Open(string path) => new(path);

    public bool StopRequested => _view.ReadInt64(StopCell * sizeof(long)) != 0;

    public void RequestStop() => _view.Write(StopCell * sizeof(long), 1L);

    public long Read(StressTable table, int key, int worker) => _view.ReadInt64(Offset(table, key, worker));

    public void Write(StressTable table, int key, int worker, long value) => _view.Write(Offset(table, key, worker), value);

    public void Increment(StressTable table, int key, int worker) => Write(table, key, worker, Read(table, key, worker) + 1);

    public long Sum(StressTable table, int key)
    {
        long sum = 0;
        for (int w = 0; w < MaxWorkers; w++) sum += Read(table, key, w);
        return sum;
    }

    public long Max(StressTable table, int key)
    {
        long max = 0;
        for (int w = 0; w < MaxWorkers; w++) max = Math.Max(max, Read(table, key, w));
        return max;
    }

    public void Dispose()
    {
        _view.Dispose();
        _file.Dispose();
    }

    private static long Offset(StressTable table, int key, int worker)
    {
        if ((uint)key >= MaxKeys || (uint)worker >= MaxWorkers) throw new ArgumentOutOfRangeException(nameof(key));
        long cell = FirstTableCell + (((long)table * MaxKeys + key) * MaxWorkers) + worker;
        if ((cell + 1) * sizeof(long) > Size) throw new ArgumentOutOfRangeException(nameof(table));
        return cell * sizeof(long);
    }
}
