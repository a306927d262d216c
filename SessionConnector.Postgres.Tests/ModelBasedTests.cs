using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using SessionConnector.Postgres.Tests.Infrastructure;
using SessionConnector.Tests.Reliability;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Postgres.Tests;

/// <summary>
/// Random Set/Get/Update/Delete/Clear/CycleId/expiry sequences on PostgreSQL storage against a dictionary model
/// (<see cref="ConnectorModel"/>, shared with the memory, file and Redis runs).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ModelBasedTests : IDisposable
{
    private readonly PostgresServer _server;
    private readonly ITestOutputHelper _output;
    private readonly ConcurrentBag<IDisposable> _created = new();

    public ModelBasedTests(PostgresServer server, ITestOutputHelper output)
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
    public void ConnectorOnPostgresMatchesADictionaryModel(bool cache)
    {
        // Each sequence gets a fresh table and keeps a listening connection until the end: few sequences, within the pool.
        long iterations = LongMode.Pick(40, 1_000);
        var lines = new List<string>();
        ConnectorModel.Run(
            _ =>
            {
                var storage = PostgresSessionStorage.Connect(new PostgresSessionStorageOptions
                {
                    DataSource = _server.Admin, TableName = TestNodes.NewTable(), SweepInterval = Timeout.InfiniteTimeSpan,
                });
                storage.EnsureSchema();
                return storage;
            },
            cache,
            iterations,
            lines.Add,
            _created,
            serverClock: true);
        foreach (string line in lines) _output.WriteLine(line);
        _output.WriteLine($"postgres{(cache ? " with cache" : "")}: {iterations:N0} random sequences, every step matched the model");
    }
}
