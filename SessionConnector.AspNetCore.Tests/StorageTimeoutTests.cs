using System;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.AspNetCore.Tests.Support;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.AspNetCore.Tests;

/// <summary>Issue 23: a stalled store answers 503 at the connector's StorageTimeout, and a client that goes away cancels the store's call.</summary>
public sealed class StorageTimeoutTests
{
    /// <summary>A memory store that can be made to stall; a stalled call waits for its token (or for the release).</summary>
    private sealed class StallingStorage(SessionStorage inner) : SessionStorage
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _cancelled;

        public volatile bool Stalled;

        public int Cancelled => Volatile.Read(ref _cancelled);

        public override string Kind => "stalling";

        public void Release() => _release.TrySetResult();

        private async ValueTask StallAsync(CancellationToken ct)
        {
            if (!Stalled) return;
            try
            {
                await _release.Task.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }
        }

        public override StoredRecord? Read(string key) => inner.Read(key);

        public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion) =>
            inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);

        public override bool Delete(string key) => inner.Delete(key);

        public override void Clear() => inner.Clear();

        public override async ValueTask<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default)
        {
            await StallAsync(cancellationToken).ConfigureAwait(false);
            return inner.Read(key);
        }

        protected override void Dispose(bool disposing)
        {
            Release();
            if (disposing) inner.Dispose();
        }
    }

    private static Task<TestApp> Start(out StallingStorage storage, TimeSpan timeout)
    {
        var s = new StallingStorage(new MemorySessionStorage(1000));
        storage = s;
        return TestApp.StartAsync(o =>
        {
            o.Storage = _ => s;
            o.Connector.CacheCapacity = 0;
            o.Connector.StorageTimeout = timeout;
        });
    }

    [Fact]
    public async Task AStalledStoreIs503AtTheStorageTimeoutAndLogged()
    {
        await using TestApp app = await Start(out StallingStorage storage, TimeSpan.FromMilliseconds(300));
        using HttpClient client = app.Browser(out _);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/login?user=ada", null)).StatusCode);

        storage.Stalled = true;
        var watch = Stopwatch.StartNew();
        HttpResponseMessage read = await client.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"answered after {watch.Elapsed}");
        Assert.True(app.Logs.Has(3)); // StorageFailed: the timeout is logged as a storage failure
        // The store's own call was cancelled at the deadline; the 503 does not wait for the cancelled call to unwind, so its
        // count can land a moment after the response.
        SessionConnector.Testing.Poll.Until(() => storage.Cancelled >= 1, TimeSpan.FromSeconds(5));
        Assert.True(storage.Cancelled >= 1);

        storage.Stalled = false;
        Assert.Equal("ada", await (await client.GetAsync("/whoami")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AClientThatGoesAwayCancelsTheStoresCall()
    {
        // No connector timeout: only RequestAborted can end the stalled read.
        await using TestApp app = await Start(out StallingStorage storage, Timeout.InfiniteTimeSpan);
        using HttpClient client = app.Browser(out _);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/login?user=ada", null)).StatusCode);

        storage.Stalled = true;
        using var gone = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync("/whoami", gone.Token));
        Assert.True(SpinWait.SpinUntil(() => storage.Cancelled == 1, TimeSpan.FromSeconds(10)), "the store's read was not cancelled");
    }
}
