using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Postgres.Tests.Support;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.Postgres.Tests;

/// <summary>The server stopped and started under running nodes; each test owns its server, so the others are not disturbed.</summary>
public sealed class RestartTests
{
    private static readonly string K = new('k', 43);

    [Fact]
    public void WhileTheServerIsDownOperationsThrowSessionStorageExceptionAndRecoverAfterwards()
    {
        using var server = new PostgresServer();
        string table = TestNodes.NewTable();
        using PostgresSessionStorage storage = TestNodes.Storage(server, table, o => o.OperationTimeout = TimeSpan.FromSeconds(2));
        Assert.True(storage.TryWrite(K, new byte[] { 1 }, null, SessionStorage.Absent, 1));

        server.Stop(immediate: true);
        var watch = Stopwatch.StartNew();
        Assert.Throws<SessionStorageException>(() => storage.Read(K));
        Assert.Throws<SessionStorageException>(() => storage.TryWrite(K, new byte[] { 2 }, null, 1, 2));
        Assert.Throws<SessionStorageException>(() => storage.Delete(K));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"failing took {watch.Elapsed}");
        Poll.Until(() => !storage.IsListening, TimeSpan.FromSeconds(15));
        Assert.False(storage.IsListening);

        server.Start();
        // The pool discards its broken connections and opens new ones: the first operations may still fail, then succeed.
        StoredRecord? record = null;
        var recovery = Stopwatch.StartNew();
        while (recovery.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                record = storage.Read(K);
                break;
            }
            catch (SessionStorageException)
            {
                Thread.Sleep(100);
            }
        }

        // Nothing was lost or half-applied: the refused write left version 1.
        Assert.Equal(1, Assert.NotNull(record).Version);
        Assert.True(storage.TryWrite(K, new byte[] { 3 }, null, 1, 3));
        Poll.Until(() => storage.IsListening, TimeSpan.FromSeconds(15));
        Assert.True(storage.IsListening);
    }

    [Fact]
    public void ALostListeningConnectionEmptiesTheCacheAndInvalidationsResumeAfterReconnect()
    {
        using var server = new PostgresServer();
        string table = TestNodes.NewTable();
        byte[] secret = SharedNodes.NewSecret();
        PostgresSessionStorage readerStorage = TestNodes.Storage(server, table);
        using SessionStorageConnector writer = SharedNodes.Connector(TestNodes.Storage(server, table), secret, TimeSpan.FromMinutes(5));
        using SessionStorageConnector reader = SharedNodes.Connector(readerStorage, secret, TimeSpan.FromMinutes(5));
        string id = SessionStorageConnector.GenerateId();
        writer.Set(id, SharedNodes.Bag("v", "1"));
        Assert.Equal("1", reader.Get<SessionBag>(id)!["v"]);
        long clearsBefore = readerStorage.FullInvalidations;

        server.Stop(immediate: true);
        Poll.Until(() => !readerStorage.IsListening, TimeSpan.FromSeconds(15));
        Assert.True(readerStorage.FullInvalidations > clearsBefore);
        server.Start();
        Poll.Until(() => readerStorage.IsListening, TimeSpan.FromSeconds(20));
        Assert.True(readerStorage.IsListening);

        // A change made after the reconnect reaches the reader's long-lived cache again.
        UpdateWithRetry(writer, id, "2");
        Poll.Until(() => reader.Get<SessionBag>(id)!["v"] as string == "2", TimeSpan.FromSeconds(3));
        Assert.Equal("2", reader.Get<SessionBag>(id)!["v"]);
    }

    private static void UpdateWithRetry(SessionStorageConnector connector, string id, string value)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Assert.True(connector.Update(id, SharedNodes.Bag("v", value)));
                return;
            }
            catch (SessionStorageException) when (watch.Elapsed < TimeSpan.FromSeconds(20))
            {
                Thread.Sleep(100);
            }
        }
    }
}
