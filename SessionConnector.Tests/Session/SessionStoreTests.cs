using System;
using SessionConnector;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Session;

public sealed class SessionStoreTests : IDisposable
{
    private readonly TestConnectors _env = new();
    private readonly SessionStorageConnector _c;

    public SessionStoreTests() => _c = _env.Create(StorageKind.File);

    public void Dispose()
    {
        _c.Dispose();
        _env.Dispose();
    }

    private SessionStore<Counter> Open(string? id, SessionStoreOptions? options = null) => new(id, options, _c);

    [Fact]
    public void NothingIsReadUntilTheDataIsUsed()
    {
        var ops = new MetricCounter(_c.Meter, "sessionconnector.storage.operations");
        var store = Open(SessionStorageConnector.GenerateId());
        Assert.False(store.IsLoaded);
        Assert.Equal(0, ops.Total);
        _ = store.Data;
        Assert.True(store.IsLoaded);
        Assert.Equal(1, ops.Total);
    }

    [Fact]
    public void AnUnchangedSessionIsNotWritten()
    {
        var ops = new MetricCounter(_c.Meter, "sessionconnector.storage.operations");
        var fresh = Open(null);
        _ = fresh.Data;
        Assert.False(fresh.NeedsUpdate);
        Assert.Equal(SessionCommitResult.Unchanged, fresh.Commit());
        Assert.Equal(0, ops.Total);
    }

    [Fact]
    public void AModifiedSessionIsSavedAndReadBack()
    {
        var first = Open(null);
        first.Data.Value = 5;
        Assert.True(first.IsModified);
        Assert.True(first.NeedsUpdate);
        Assert.Equal(SessionCommitResult.Saved, first.Commit());
        Assert.False(first.NeedsUpdate);

        var second = Open(first.Id);
        Assert.Equal(5, second.Data.Value);
        Assert.False(second.IsNew);
        Assert.False(second.NeedsUpdate);
    }

    [Fact]
    public void AnUnknownPresentedIdIsReplacedByAFreshOne()
    {
        string planted = SessionStorageConnector.GenerateId();
        var store = Open(planted);
        store.Data.Value = 1;
        store.Commit();
        Assert.NotEqual(planted, store.Id);
        Assert.True(store.IsLoaded);
        Assert.Null(_c.Get<Counter>(planted));
    }

    [Fact]
    public void AbsoluteLifetimeIsEnforcedOnTheServer()
    {
        var options = new SessionStoreOptions { Lifetime = TimeSpan.FromHours(1) };
        var store = Open(null, options);
        store.Data.Value = 1;
        store.Commit();
        _env.Clock.Advance(TimeSpan.FromMinutes(59));
        var again = Open(store.Id, options);
        again.Data.Value = 2;
        again.Commit();

        _env.Clock.Advance(TimeSpan.FromMinutes(2));

        var expired = Open(store.Id, options);
        Assert.Equal(0, expired.Data.Value);
        Assert.True(expired.IsNew);
        Assert.Null(_c.Get<Counter>(store.Id));
    }

    [Fact]
    public void IdleTimeoutExpiresAnUnusedSessionAndSlidesForAnActiveOne()
    {
        var options = new SessionStoreOptions { Lifetime = TimeSpan.FromHours(8), IdleTimeout = TimeSpan.FromMinutes(20) };
        var store = Open(null, options);
        store.Data.Value = 1;
        store.Commit();
        string id = store.Id;

        // Active: a request every 15 minutes keeps it alive well past 20 minutes.
        for (int i = 0; i < 4; i++)
        {
            _env.Clock.Advance(TimeSpan.FromMinutes(15));
            var s = Open(id, options);
            Assert.Equal(1, s.Data.Value);
            Assert.True(s.NeedsUpdate); // more than half the idle window used: the expiry slides
            Assert.Equal(SessionCommitResult.Saved, s.Commit());
        }

        // Idle: 21 minutes without a request and it is gone.
        _env.Clock.Advance(TimeSpan.FromMinutes(21));
        var late = Open(id, options);
        Assert.Equal(0, late.Data.Value);
        Assert.True(late.IsNew);
    }

    [Fact]
    public void SlidingNeverPassesTheAbsoluteLifetime()
    {
        var options = new SessionStoreOptions { Lifetime = TimeSpan.FromMinutes(30), IdleTimeout = TimeSpan.FromMinutes(20) };
        var store = Open(null, options);
        store.Data.Value = 1;
        store.Commit();
        for (int i = 0; i < 3; i++)
        {
            _env.Clock.Advance(TimeSpan.FromMinutes(11));
            var s = Open(store.Id, options);
            if (!s.IsNew) s.Commit();
        }

        Assert.Null(_c.Get<Counter>(store.Id)); // 33 minutes > 30 minute lifetime
    }

    [Fact]
    public void CycleIdKeepsTheDataUnderANewIdAndDeletesTheOld()
    {
        var store = Open(null);
        store.Data.Value = 9;
        store.Commit();
        string old = store.Id;

        store.CycleId();

        Assert.NotEqual(old, store.Id);
        Assert.Null(_c.Get<Counter>(old));
        Assert.Equal(9, _c.Get<Counter>(store.Id)!.Value);
    }

    [Fact]
    public void DestroyDeletesAndLaterCommitsWriteNothing()
    {
        var store = Open(null);
        store.Data.Value = 3;
        store.Commit();
        store.Destroy();
        Assert.True(store.IsDestroyed);
        Assert.Null(_c.Get<Counter>(store.Id));
        Assert.Equal(SessionCommitResult.Unchanged, store.Commit());
        Assert.Null(_c.Get<Counter>(store.Id));
    }

    [Fact]
    public void ALogoutInAnotherRequestIsNotUndoneByThisRequestsCommit()
    {
        var login = Open(null);
        login.Data.Value = 1;
        login.Commit();

        var slow = Open(login.Id);
        slow.Data.Value = 2; // loaded before the logout
        var logout = Open(login.Id);
        logout.Destroy();

        Assert.Equal(SessionCommitResult.Deleted, slow.Commit());
        Assert.Null(_c.Get<Counter>(login.Id));
    }

    [Fact]
    public void AConcurrentChangeIsReportedNotOverwritten()
    {
        var s0 = Open(null);
        s0.Data.Value = 1;
        s0.Commit();
        var a = Open(s0.Id);
        var b = Open(s0.Id);
        a.Data.Value = 10;
        b.Data.Log.Add("b");
        Assert.Equal(SessionCommitResult.Saved, a.Commit());
        Assert.Equal(SessionCommitResult.Conflict, b.Commit());
        Assert.Equal(10, _c.Get<Counter>(s0.Id)!.Value);
    }

    [Fact]
    public async System.Threading.Tasks.Task AsyncLoadCommitCycleAndDestroyWork()
    {
        var store = Open(null);
        await store.LoadAsync();
        store.Data.Value = 4;
        Assert.Equal(SessionCommitResult.Saved, await store.CommitAsync());
        string old = store.Id;
        await store.CycleIdAsync();
        Assert.Null(await _c.GetAsync<Counter>(old));
        Assert.Equal(4, (await _c.GetAsync<Counter>(store.Id))!.Value);
        await store.DestroyAsync();
        Assert.Null(await _c.GetAsync<Counter>(store.Id));
    }
}
