using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Principals;
using SessionConnector.Serialization;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Principals;

public sealed class PrincipalTests : IDisposable
{
    private readonly TestConnectors _env = new();
    private readonly ITestOutputHelper _output;

    public PrincipalTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _env.Dispose();

    public static TheoryData<StorageKind> Kinds => new() { StorageKind.Memory, StorageKind.File };

    private static string NewSession(SessionStorageConnector c, long value = 1)
    {
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new Counter { Value = value }, TimeSpan.FromHours(1)));
        return id;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SignOutEverywhereEndsEveryBoundSessionOfThePrincipalAndNoOther(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string ada1 = NewSession(c), ada2 = NewSession(c), bob = NewSession(c), unbound = NewSession(c);
        Assert.True(c.BindPrincipal(ada1, "ada"));
        Assert.True(c.BindPrincipal(ada2, "ada"));
        Assert.True(c.BindPrincipal(bob, "bob"));
        Assert.True(c.TryGet<Counter>(ada1, out _)); // cached where the backend has a cache

        c.SignOutEverywhere("ada");

        Assert.False(c.TryGet<Counter>(ada1, out _));
        Assert.False(c.TryGet<Counter>(ada2, out _));
        Assert.True(c.TryGet<Counter>(bob, out _));
        Assert.True(c.TryGet<Counter>(unbound, out _));
        Assert.False(c.Update<Counter>(ada1, x => x.Value++)); // a writer cannot revive it either
    }

    [Fact]
    public void WithInvalidationsABoundSessionIsServedFromTheCacheRightAfterBindingUntilAnotherNodeChangesIt()
    {
        var memory = new MemorySessionStorage(100, _env.Clock);
        var shared = new HookedStorage(memory, raisesInvalidations: true);
        using SessionStorageConnector c = _env.Create(shared);
        using SessionStorageConnector otherNode = _env.Create(new HookedStorage(memory), o => o.CacheCapacity = 0);
        string id = NewSession(c);
        Assert.True(c.BindPrincipal(id, "ada"));
        int reads = shared.Reads;
        for (int i = 0; i < 3; i++) Assert.Equal(1, c.Get<Counter>(id)!.Value);
        Assert.Equal(reads, shared.Reads);

        // Another node's write, announced: the bound entry goes and the next read finds the new record.
        Assert.True(otherNode.Update<Counter>(id, x => x.Value = 2));
        shared.Invalidate(StorageKeyOf(id));
        Assert.Equal(2, c.Get<Counter>(id)!.Value);
        c.SignOutEverywhere("ada");
        Assert.Null(c.Get<Counter>(id));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ASessionBoundAfterTheSignOutIsLive(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string before = NewSession(c);
        c.BindPrincipal(before, "ada");
        c.SignOutEverywhere("ada");
        string after = NewSession(c);
        Assert.True(c.BindPrincipal(after, "ada"));

        Assert.True(c.TryGet<Counter>(after, out _));
        Assert.False(c.TryGet<Counter>(before, out _));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void UpdateKeepsTheBindingAndTheDataOfABoundSession(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string id = NewSession(c, 41);
        c.BindPrincipal(id, "ada");
        Assert.True(c.Update<Counter>(id, x => x.Value++));
        Assert.Equal(42, c.Get<Counter>(id)!.Value);

        c.SignOutEverywhere("ada");

        Assert.Null(c.Get<Counter>(id));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task SessionStoreBindsAtLoginKeepsTheBindingAcrossCommitsAndIdCyclesAndSignsOut(StorageKind kind)
    {
        using var c = _env.Create(kind);
        var login = new SessionStore<Counter>(null, connector: c);
        await login.LoadAsync();
        login.Data.Value = 1;
        await login.BindPrincipalAsync("ada");
        Assert.True(login.IsBound);
        Assert.Equal(SessionCommitResult.Saved, await login.CycleIdAsync());
        string id = login.Id;

        var next = new SessionStore<Counter>(id, connector: c);
        await next.LoadAsync();
        Assert.True(next.IsBound);
        next.Data.Value = 2;
        Assert.Equal(SessionCommitResult.Saved, await next.CommitAsync());

        var later = new SessionStore<Counter>(id, connector: c);
        await later.LoadAsync();
        Assert.True(later.IsBound);
        Assert.Equal(2, later.Data.Value);

        await c.SignOutEverywhereAsync("ada");

        var afterSignOut = new SessionStore<Counter>(id, connector: c);
        await afterSignOut.LoadAsync();
        Assert.True(afterSignOut.IsNew); // the old ID reads as absent: a fresh, unbound session under a new ID
        Assert.False(afterSignOut.IsBound);
        Assert.NotEqual(id, afterSignOut.Id);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AStaleCommitOfASignedOutSessionDoesNotReviveIt(StorageKind kind)
    {
        using var c = _env.Create(kind);
        var store = new SessionStore<Counter>(null, connector: c);
        store.Load();
        store.BindPrincipal("ada");
        store.Commit();
        var request = new SessionStore<Counter>(store.Id, connector: c);
        request.Load(); // loaded before the sign-out, commits after it

        c.SignOutEverywhere("ada");
        request.Data.Value = 9;
        request.Commit();

        Assert.False(c.TryGet<Counter>(store.Id, out _));
    }

    [Fact]
    public void ABoundSessionCachedOnFileStorageIsServedOnlyWhileStorageHoldsItsVersionAndGeneration()
    {
        // File storage raises no invalidations, so a cached bound session answers only after storage confirms the
        // principal's generation and the record's version: a change, a delete or a bump by another node is seen at once.
        using SessionStorageConnector a = _env.Create(StorageKind.File, o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        using SessionStorageConnector b = _env.Create(_env.CreateStorage(StorageKind.File), o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        string id = NewSession(a, 7);
        Assert.True(a.BindPrincipal(id, "ada"));
        for (int i = 0; i < 3; i++)
        {
            Assert.True(a.TryGet<Counter>(id, out Counter? cached));
            Assert.Equal(7, cached.Value);
        }

        Assert.True(b.Update<Counter>(id, c => c.Value = 8));
        Assert.True(a.TryGet<Counter>(id, out Counter? changed));
        Assert.Equal(8, changed.Value);

        Assert.True(b.Delete(id));
        Assert.False(a.TryGet<Counter>(id, out _));

        string other = NewSession(a, 9);
        Assert.True(a.BindPrincipal(other, "ada"));
        Assert.True(a.TryGet<Counter>(other, out _));
        b.SignOutEverywhere("ada");
        Assert.False(a.TryGet<Counter>(other, out _));
    }

    [Fact]
    public void TwoConnectorsOnOneFileStoreTheOthersCachedCopyIsNotServedAfterTheBump()
    {
        // Two nodes over one directory, each with its own cache that would otherwise serve for five minutes.
        using SessionStorageConnector a = _env.Create(StorageKind.File, o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        using SessionStorageConnector b = _env.Create(_env.CreateStorage(StorageKind.File), o => o.CacheMaxAge = TimeSpan.FromMinutes(5));
        string id = NewSession(a);
        a.BindPrincipal(id, "ada");
        for (int i = 0; i < 3; i++) Assert.True(b.TryGet<Counter>(id, out _));

        a.SignOutEverywhere("ada");

        Assert.False(b.TryGet<Counter>(id, out _));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ALostGenerationRecordEndsTheBoundSessionsInsteadOfKeepingThemForever(StorageKind kind)
    {
        SessionStorage storage = _env.CreateStorage(kind);
        using var c = _env.Create(storage);
        string id = NewSession(c);
        string[] sessionKeys = await KeysAsync(storage);
        c.BindPrincipal(id, "ada");
        Assert.True(c.TryGet<Counter>(id, out _));

        // Delete the generation record behind the connector's back (a store that lost it): fail closed.
        // The new records are the generation (the smallest envelope) and the index.
        string generationKey = (await KeysAsync(storage)).Except(sessionKeys).OrderBy(k => storage.Read(k)!.Value.Value.Length).First();
        Assert.True(storage.Delete(generationKey));

        Assert.False(c.TryGet<Counter>(id, out _));
    }

    private static string StorageKeyOf(string id)
    {
        using var ring = SessionKeyRing.FromSecret(TestConnectors.Key);
        using var protector = new SessionConnector.Protection.SessionProtector(ring);
        return protector.DeriveStorageKey(id);
    }

    private static async Task<System.Collections.Generic.List<System.Collections.Generic.KeyValuePair<string, StoredRecord>>> AllAsync(SessionStorage storage)
    {
        var all = new System.Collections.Generic.List<System.Collections.Generic.KeyValuePair<string, StoredRecord>>();
        await foreach (var pair in storage.EnumerateAsync()) all.Add(pair);
        return all;
    }

    private static async Task<string[]> KeysAsync(SessionStorage storage) =>
        (await AllAsync(storage)).Select(r => r.Key).ToArray();

    [Fact]
    public void AnUnboundPayloadIsByteForByteTheOldFormatAndABoundOneCarriesTheFlagHashAndGeneration()
    {
        var stamp = new PrincipalStamp(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), 12345);
        byte[] unbound = SessionPayload.Encode(new Counter { Value = 7 }, SessionFormat.MessagePack, null, null).ToArray();
        byte[] bound = SessionPayload.Encode(new Counter { Value = 7 }, SessionFormat.MessagePack, null, null, stamp).ToArray();

        Assert.Equal(3, unbound[0]);
        Assert.Equal(0x83, bound[0]);
        Assert.Equal(unbound.Length + 40, bound.Length);
        Assert.Equal(unbound.AsSpan(1, 16).ToArray(), bound.AsSpan(1, 16).ToArray());
        Assert.Equal(unbound.AsSpan(17).ToArray(), bound.AsSpan(57).ToArray());
        Assert.True(SessionPayload.TryReadHeader(bound, out _, out _, out _, out PrincipalStamp? read));
        Assert.Equal(stamp.Hash, read!.Hash);
        Assert.Equal(12345, read.Generation);
        Assert.Equal(7, SessionPayload.Decode<Counter>(bound, SessionFormat.MessagePack).Value);
        Assert.True(SessionPayload.TryReadHeader(unbound, out _, out _, out _, out PrincipalStamp? none));
        Assert.Null(none);
    }

    [Fact]
    public void ABoundPayloadWithATruncatedExtensionOrAZeroGenerationIsRefused()
    {
        var stamp = new PrincipalStamp(new byte[32], 5);
        byte[] bound = SessionPayload.Encode(new Counter(), SessionFormat.MessagePack, null, null, stamp).ToArray();
        Assert.False(SessionPayload.TryReadHeader(bound.AsSpan(0, 40), out _, out _, out _, out _));
        bound.AsSpan(49, 8).Clear();
        Assert.False(SessionPayload.TryReadHeader(bound, out _, out _, out _, out _));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TheStoreHoldsNoPrincipalIdOnlyItsKeyedHash(StorageKind kind)
    {
        SessionStorage storage = _env.CreateStorage(kind);
        using var c = _env.Create(storage);
        string id = NewSession(c);
        const string principal = "ada@example.com";
        c.BindPrincipal(id, principal);

        byte[] needle = Encoding.UTF8.GetBytes(principal);
        foreach (var (key, record) in await AllAsync(storage))
        {
            Assert.DoesNotContain(principal, key, StringComparison.Ordinal);
            Assert.True(record.Value.AsSpan().IndexOf(needle) < 0);
        }

        // The hash depends on the app's key: another ring gives another hash, so a store cannot be matched against a user list.
        using var other = new SessionStorageConnector(new MemorySessionStorage(), new SessionConnectorOptions { Keys = SessionKeyRing.FromSecret(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) });
        Assert.NotEqual(c.PrincipalHashOf(principal), other.PrincipalHashOf(principal));
        Assert.Equal(c.PrincipalHashOf(principal), c.PrincipalHashOf(principal));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SignOutEverywhereOfAThousandSessionsIsOneWriteAndEndsThemAll(StorageKind kind)
    {
        using var c = _env.Create(kind);
        var ids = new string[1000];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = NewSession(c);
            Assert.True(c.BindPrincipal(ids[i], "ada"));
        }

        var watch = Stopwatch.StartNew();
        c.SignOutEverywhere("ada");
        double bumpMs = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        foreach (string id in ids) Assert.False(c.TryGet<Counter>(id, out _));
        _output.WriteLine($"{kind}: bump {bumpMs:F2} ms; 1,000 reads that each found their session signed out (and evicted it) {watch.Elapsed.TotalMilliseconds:F1} ms");
    }

    [Fact]
    public void BindingRefusesAMissingSessionAndABadPrincipalId()
    {
        using var c = _env.Create(StorageKind.Memory);
        Assert.False(c.BindPrincipal(SessionStorageConnector.GenerateId(), "ada"));
        string id = NewSession(c);
        Assert.Throws<ArgumentException>(() => c.BindPrincipal(id, ""));
        Assert.Throws<ArgumentException>(() => c.BindPrincipal(id, new string('x', 1025)));
    }
}
