using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CsCheck;
using Microsoft.Extensions.Time.Testing;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Reliability;

/// <summary>Model-based tests of the connector on memory and file storage (see <see cref="ConnectorModel"/>).</summary>
public sealed class ModelBasedTests : IDisposable
{
    private readonly TestConnectors _env = new();
    private readonly ITestOutputHelper _output;
    private readonly ConcurrentBag<IDisposable> _created = new();

    public ModelBasedTests(ITestOutputHelper output) => _output = output;

    public void Dispose()
    {
        foreach (IDisposable d in _created) d.Dispose();
        _env.Dispose();
    }

    [Theory]
    [InlineData(StorageKind.Memory, false)]
    [InlineData(StorageKind.File, true)]
    [InlineData(StorageKind.File, false)]
    public void ConnectorMatchesADictionaryModel(StorageKind kind, bool cache)
    {
        long iterations = kind == StorageKind.Memory ? LongMode.Pick(2_000, 50_000) : LongMode.Pick(300, 10_000);
        var lines = new List<string>();
        ConnectorModel.Run(
            clock => kind == StorageKind.Memory
                ? new MemorySessionStorage(1_000, clock)
                : new FileSessionStorage(Path.Combine(_env.Directory, Guid.NewGuid().ToString("N")), FileDurability.ProcessCrash, clock),
            cache,
            iterations,
            lines.Add,
            _created);
        foreach (string line in lines) _output.WriteLine(line);
        _output.WriteLine($"{kind}{(cache ? " with cache" : "")}: {iterations:N0} random sequences, every step matched the model");
    }
}
