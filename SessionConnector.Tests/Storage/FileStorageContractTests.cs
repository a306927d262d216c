using System;
using System.IO;
using Microsoft.Extensions.Time.Testing;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Storage;

/// <summary>The storage contract (<see cref="StorageContractTests"/>) on <see cref="FileSessionStorage"/>, each store in its own folder.</summary>
public sealed class FileStorageContractTests : StorageContractTests
{
    private readonly TestConnectors _env = new();

    public FileStorageContractTests(ITestOutputHelper output)
        : base(output)
    {
    }

    protected override bool UsesFakeClock => true;

    // An expired record's file stays until a read, the sweep or a purge removes it.
    protected override bool ExpiredRecordsStayUntilSwept => true;

    protected override (int Normal, int Long) ModelIterations => (300, 10_000);

    protected override SessionStorage CreateStorage(FakeTimeProvider clock) =>
        new FileSessionStorage(Path.Combine(_env.Directory, Guid.NewGuid().ToString("N")), FileDurability.ProcessCrash, clock);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _env.Dispose();
    }
}
