using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using SessionConnector.Redis.Tests.Infrastructure;
using SessionConnector.Tests.Reliability;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Redis.Tests;

/// <summary>
/// Random Set/Get/Update/Delete/Clear/CycleId/expiry sequences on Redis storage against a dictionary model
/// (<see cref="ConnectorModel"/>, shared with the memory and file runs of the core suite).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ModelBasedTests : IDisposable
{
    private readonly RedisServer _server;
    private readonly ITestOutputHelper _output;
    private readonly ConcurrentBag<IDisposable> _created = new();

    public ModelBasedTests(RedisServer server, ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    public void Dispose()
    {
        foreach (IDisposable d in _created) d.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ConnectorOnRedisMatchesADictionaryModel(bool cache)
    {
        long iterations = LongMode.Pick(150, 5_000);
        var lines = new List<string>();
        // One shared connection; a fresh key prefix (a fresh, empty store) for every sequence.
        ConnectorModel.Run(
            _ => RedisSessionStorage.Connect(new RedisSessionStorageOptions { Multiplexer = _server.Admin, KeyPrefix = TestNodes.NewPrefix() }),
            cache,
            iterations,
            lines.Add,
            _created,
            serverClock: true);
        foreach (string line in lines) _output.WriteLine(line);
        _output.WriteLine($"redis{(cache ? " with cache" : "")}: {iterations:N0} random sequences, every step matched the model");
    }
}
