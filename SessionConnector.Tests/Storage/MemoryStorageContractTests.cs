using Microsoft.Extensions.Time.Testing;
using SessionConnector.Storage;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Storage;

/// <summary>The storage contract (<see cref="StorageContractTests"/>) on <see cref="MemorySessionStorage"/>.</summary>
public sealed class MemoryStorageContractTests : StorageContractTests
{
    public MemoryStorageContractTests(ITestOutputHelper output)
        : base(output)
    {
    }

    protected override bool UsesFakeClock => true;

    // An expired slot stays until the hand or a purge passes.
    protected override bool ExpiredRecordsStayUntilSwept => true;

    protected override (int Normal, int Long) ModelIterations => (2_000, 50_000);

    protected override SessionStorage CreateStorage(FakeTimeProvider clock) => new MemorySessionStorage(1_000, clock);
}
