using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using SessionConnector.Storage;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Testing.Contracts;

/// <summary>
/// The <see cref="SessionStorage"/> contract, stated once: compare-and-set writes, deletes, expiry, clear, the async twins
/// and the connector's model-based test. Each backend runs it through one small subclass in its own test project
/// (memory and file in SessionConnector.Tests, Redis and Redis Cluster in .Redis.Tests, PostgreSQL in .Postgres.Tests);
/// where backends legitimately differ, a virtual member here says how, and backend-only checks go through the hooks.
/// </summary>
public abstract class StorageContractTests : IDisposable
{
    /// <summary>Storage keys have the connector's shape: 43 base64url characters.</summary>
    protected static readonly string K = new('k', 43);

    /// <summary>A second storage key.</summary>
    protected static readonly string A = new('a', 43);

    private readonly ConcurrentBag<IDisposable> _created = new();

    protected StorageContractTests(ITestOutputHelper output) => Output = output;

    protected ITestOutputHelper Output { get; }

    /// <summary>The fake clock that storages which accept one expire by (see <see cref="UsesFakeClock"/>).</summary>
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>A fresh, empty store on this backend; <paramref name="clock"/> is for backends that take a clock.</summary>
    protected abstract SessionStorage CreateStorage(FakeTimeProvider clock);

    /// <summary>A fresh store for one model-based sequence (a backend may share a connection between them).</summary>
    protected virtual SessionStorage CreateModelStorage(FakeTimeProvider clock) => CreateStorage(clock);

    /// <summary>
    /// True when the storage expires records by the clock it is given (memory, file); false when it expires them by its
    /// own (Redis, PostgreSQL): the tests then wait in real time, and the model takes the server's word on expiry.
    /// </summary>
    protected abstract bool UsesFakeClock { get; }

    /// <summary>
    /// True when an expired record stays in the store, invisible, until a sweep removes it (PostgreSQL rows, memory
    /// slots): a <see cref="SessionStorage.TryDelete"/> at its version then removes it and says so. False when the backend
    /// drops it at expiry (a Redis TTL, the file store's lazy removal on read).
    /// </summary>
    protected abstract bool ExpiredRecordsStayUntilSwept { get; }

    /// <summary>How many random sequences the model-based test runs (normal, long mode): each backend's cost differs.</summary>
    protected abstract (int Normal, int Long) ModelIterations { get; }

    /// <summary>What the storage keeps natively for <paramref name="key"/>'s expiry (a Redis TTL, a column), checked after each write.</summary>
    protected virtual void AssertStoredExpiry(SessionStorage storage, string key, DateTimeOffset? expiresAt)
    {
    }

    /// <summary>What is left of <paramref name="key"/> in the store once it has expired and a read has seen it gone.</summary>
    protected virtual void AssertExpiredRecordState(SessionStorage storage, string key)
    {
    }

    private DateTimeOffset Now => UsesFakeClock ? Clock.GetUtcNow() : DateTimeOffset.UtcNow;

    private void Elapse(TimeSpan duration)
    {
        if (UsesFakeClock) Clock.Advance(duration);
        else Thread.Sleep(duration);
    }

    /// <summary>Disposes <paramref name="disposable"/> with the test.</summary>
    protected T Owned<T>(T disposable)
        where T : IDisposable
    {
        _created.Add(disposable);
        return disposable;
    }

    private SessionStorage Create() => Owned(CreateStorage(Clock));

    [Fact]
    public void WhenAbsentIsExpectedWriteSucceedsOnlyWithoutALiveRecord()
    {
        SessionStorage storage = Create();
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 10));
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.Absent, 11));
        StoredRecord record = Assert.NotNull(storage.Read(K));
        Assert.Equal(new byte[] { 1 }, record.Value);
        Assert.Equal(10, record.Version);
    }

    [Fact]
    public void WhenVersionDiffersWriteFailsAndLeavesTheRecord()
    {
        SessionStorage storage = Create();
        // Versions beyond 2^53 must compare exactly (no backend may go through a double: Lua numbers are doubles).
        const long v1 = 638_000_000_000_000_001;
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, v1));
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, v1 + 1, v1 + 2));
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, v1 - 1, v1 + 2));
        Assert.True(storage.TryWrite(K, new byte[] { 3 }, null, v1, v1 + 1));
        StoredRecord record = Assert.NotNull(storage.Read(K));
        Assert.Equal(new byte[] { 3 }, record.Value);
        Assert.Equal(v1 + 1, record.Version);
        // A versioned write on a missing record is refused too.
        Assert.False(storage.TryWrite(A, new byte[] { 1 }, null, 5, 6));
        Assert.Null(storage.Read(A));
    }

    [Fact]
    public void WhenAnyVersionIsExpectedWriteIsUnconditional()
    {
        SessionStorage storage = Create();
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.AnyVersion, 5));
        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.AnyVersion, 6));
        StoredRecord record = storage.Read(K)!.Value;
        Assert.Equal(new byte[] { 2 }, record.Value);
        Assert.Equal(6, record.Version);
    }

    [Fact]
    public void WriteStoresValueVersionAndExpiryAndARewriteWithoutExpiryClearsIt()
    {
        SessionStorage storage = Create();
        DateTimeOffset at = Now.AddSeconds(30);
        Assert.True(storage.TryWrite(K, new byte[] { 1, 2, 3 }, at, SessionStorage.Absent, 42));
        AssertStoredExpiry(storage, K, at);
        StoredRecord record = storage.Read(K)!.Value;
        Assert.Equal(new byte[] { 1, 2, 3 }, record.Value);
        Assert.Equal(42, record.Version);
        Assert.Equal(at.ToUnixTimeMilliseconds(), record.ExpiresAt!.Value.ToUnixTimeMilliseconds());

        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, 42, 43));
        AssertStoredExpiry(storage, K, null);
        Assert.Null(storage.Read(K)!.Value.ExpiresAt);
    }

    [Fact]
    public void WhenExpiryPassesTheRecordIsInvisibleAndCountsAsAbsent()
    {
        SessionStorage storage = Create();
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, Now.AddMilliseconds(300), SessionStorage.Absent, 1));
        Assert.NotNull(storage.Read(K));
        Elapse(TimeSpan.FromMilliseconds(600));
        Assert.Null(storage.Read(K));
        AssertExpiredRecordState(storage, K);
        // No write may treat it as live: its version no longer matches, and a create-only write succeeds.
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, 1, 2));
        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.Absent, 2));
        Assert.Equal(2, storage.Read(K)!.Value.Version);
    }

    [Fact]
    public void DeleteReportsWhetherALiveRecordExistedAndADeletedKeyIsAbsent()
    {
        SessionStorage storage = Create();
        Assert.False(storage.Delete(K));
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.True(storage.Delete(K));
        Assert.Null(storage.Read(K));
        Assert.False(storage.Delete(K));
        // Gone means absent: only a create-only write matches it now.
        Assert.False(storage.TryWrite(K, new byte[] { 2 }, null, 1, 2));
        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.Absent, 2));
        Assert.Equal(2, storage.Read(K)!.Value.Version);
        // An expired record is not a live one.
        storage.TryWrite(A, new byte[] { 1 }, Now.AddMilliseconds(-10), SessionStorage.AnyVersion, 1);
        Assert.False(storage.Delete(A));
    }

    [Fact]
    public void TryDeleteRemovesOnlyTheExpectedVersion()
    {
        SessionStorage storage = Create();
        storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 7);
        Assert.False(storage.TryDelete(K, 6));
        Assert.NotNull(storage.Read(K));
        Assert.True(storage.TryDelete(K, 7));
        Assert.Null(storage.Read(K));
        Assert.False(storage.TryDelete(K, 7));
        // An expired record at the expected version is the one a maintenance walk refused: where it is still there, it goes too.
        storage.TryWrite(A, new byte[] { 1 }, Now.AddMilliseconds(-10), SessionStorage.AnyVersion, 3);
        Assert.Equal(ExpiredRecordsStayUntilSwept, storage.TryDelete(A, 3));
        Assert.Null(storage.Read(A));
    }

    [Fact]
    public void ClearRemovesEveryRecord()
    {
        SessionStorage storage = Create();
        storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        storage.TryWrite(A, new byte[] { 1 }, Now.AddHours(1), SessionStorage.Absent, 1);
        storage.Clear();
        Assert.Null(storage.Read(K));
        Assert.Null(storage.Read(A));
        Assert.True(storage.TryWrite(K, new byte[] { 2 }, null, SessionStorage.Absent, 2));
    }

    [Fact]
    public async Task AsyncTwinsBehaveLikeTheSyncOnes()
    {
        SessionStorage storage = Create();
        Assert.True(await storage.TryWriteAsync(K, new byte[] { 1 }, null, SessionStorage.Absent, 1));
        Assert.False(await storage.TryWriteAsync(K, new byte[] { 2 }, null, SessionStorage.Absent, 2));
        Assert.Equal(new byte[] { 1 }, (await storage.ReadAsync(K))!.Value.Value);
        Assert.False(await storage.TryDeleteAsync(K, 2));
        Assert.True(await storage.DeleteAsync(K));
        Assert.Null(await storage.ReadAsync(K));
        Assert.False(await storage.DeleteAsync(K));
        await storage.TryWriteAsync(A, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        Assert.True(await storage.TryDeleteAsync(A, 1));
        await storage.TryWriteAsync(A, new byte[] { 1 }, null, SessionStorage.Absent, 1);
        await storage.ClearAsync();
        Assert.Null(await storage.ReadAsync(A));
        await storage.FlushAsync();
    }

    /// <summary>
    /// Random Set/Get/Update/Delete/Clear/CycleId/expiry sequences through the connector on this backend against a
    /// dictionary model (<see cref="ConnectorModel"/>), with and without the connector's cache.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ConnectorMatchesADictionaryModel(bool cache)
    {
        long iterations = LongMode.Pick(ModelIterations.Normal, ModelIterations.Long);
        var lines = new List<string>();
        string kind = "";
        ConnectorModel.Run(
            clock =>
            {
                SessionStorage storage = CreateModelStorage(clock);
                kind = storage.Kind;
                return storage;
            },
            cache,
            iterations,
            lines.Add,
            _created,
            serverClock: !UsesFakeClock);
        foreach (string line in lines) Output.WriteLine(line);
        Output.WriteLine($"{kind}{(cache ? " with cache" : "")}: {iterations:N0} random sequences, every step matched the model");
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes what the tests created; a subclass that holds more (a temp folder) overrides and calls this.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        foreach (IDisposable d in _created) d.Dispose();
    }
}
