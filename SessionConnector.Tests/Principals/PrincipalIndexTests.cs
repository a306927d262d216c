using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Principals;

public sealed class PrincipalIndexTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    public static TheoryData<StorageKind> Kinds => new() { StorageKind.Memory, StorageKind.File };

    private static string NewSession(SessionStorageConnector c, TimeSpan? expiry = null)
    {
        string id = SessionStorageConnector.GenerateId();
        Assert.True(c.Set(id, new Counter { Value = 1 }, expiry ?? TimeSpan.FromHours(1)));
        return id;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ListShowsIdFreeHandlesLabelsAndTimesAndEndOneByHandleEndsOnlyThatSession(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string laptop = NewSession(c), phone = NewSession(c);
        c.BindPrincipal(laptop, "ada", "Firefox on Linux");
        _env.Clock.Advance(TimeSpan.FromMinutes(1));
        c.BindPrincipal(phone, "ada", "Safari on iOS");

        IReadOnlyList<PrincipalSession> sessions = c.ListPrincipalSessions("ada");

        Assert.Equal(2, sessions.Count);
        Assert.Equal(new[] { "Firefox on Linux", "Safari on iOS" }, sessions.OrderBy(s => s.CreatedAt).Select(s => s.Label));
        Assert.All(sessions, s => Assert.NotNull(s.ExpiresAt));
        Assert.All(sessions, s => Assert.DoesNotContain(s.Handle, new[] { laptop, phone }));
        Assert.All(sessions, s => Assert.False(laptop.Contains(s.Handle) || phone.Contains(s.Handle)));
        Assert.Empty(c.ListPrincipalSessions("bob"));

        PrincipalSession laptopEntry = sessions.Single(s => s.Label == "Firefox on Linux");
        Assert.True(c.EndPrincipalSession("ada", laptopEntry.Handle));

        Assert.False(c.TryGet<Counter>(laptop, out _));
        Assert.True(c.TryGet<Counter>(phone, out _));
        Assert.Equal("Safari on iOS", Assert.Single(c.ListPrincipalSessions("ada")).Label);
        Assert.False(c.EndPrincipalSession("ada", laptopEntry.Handle));
        Assert.False(c.EndPrincipalSession("bob", sessions.Single(s => s.Label == "Safari on iOS").Handle));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AnExpiredSessionIsNeverListedWithoutAnyNotification(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string brief = NewSession(c, TimeSpan.FromMinutes(5)), longer = NewSession(c, TimeSpan.FromHours(1));
        c.BindPrincipal(brief, "ada", "brief");
        c.BindPrincipal(longer, "ada", "longer");

        _env.Clock.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal("longer", Assert.Single(c.ListPrincipalSessions("ada")).Label);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task SignOutEverywhereEmptiesTheListAndDeletesTheRecordsInTheBackground(StorageKind kind)
    {
        SessionStorage storage = _env.CreateStorage(kind);
        using var c = _env.Create(storage);
        var ids = Enumerable.Range(0, 5).Select(_ => NewSession(c)).ToArray();
        foreach (string id in ids) c.BindPrincipal(id, "ada");
        int before = await CountAsync(storage);

        await c.SignOutEverywhereAsync("ada");
        Assert.Empty(c.ListPrincipalSessions("ada"));
        await c.LastPrincipalCleanup;

        // Five session records and the index gone; the generation record stays.
        Assert.Equal(before - 6, await CountAsync(storage));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AnIndexThatLostEntriesStillSignsEveryoneOut(StorageKind kind)
    {
        SessionStorage storage = _env.CreateStorage(kind);
        using var c = _env.Create(storage);
        string a = NewSession(c), b = NewSession(c);
        string[] sessionKeys = await KeysAsync(storage);
        c.BindPrincipal(a, "ada");
        string[] withGeneration = await KeysAsync(storage);
        c.BindPrincipal(b, "ada");

        // Lose the whole index (the record written last among the principal records, the largest).
        string indexKey = (await KeysAsync(storage)).Except(sessionKeys).OrderByDescending(k => storage.Read(k)!.Value.Value.Length).First();
        Assert.True(storage.Delete(indexKey));
        Assert.Empty(c.ListPrincipalSessions("ada"));

        c.SignOutEverywhere("ada");

        Assert.False(c.TryGet<Counter>(a, out _));
        Assert.False(c.TryGet<Counter>(b, out _));
        Assert.NotEmpty(withGeneration);
    }

    [Theory]
    [InlineData(SessionCapPolicy.EndOldest)]
    [InlineData(SessionCapPolicy.RefuseNew)]
    public async Task AHundredConcurrentLoginsUnderACapOfThreeEndWithExactlyThree(SessionCapPolicy policy)
    {
        SessionStorage storage = _env.CreateStorage(StorageKind.Memory);
        using var c = _env.Create(storage, o =>
        {
            o.MaxSessionsPerPrincipal = 3;
            o.SessionCapPolicy = policy;
        });
        string[] ids = Enumerable.Range(0, 100).Select(_ => NewSession(c)).ToArray();

        bool[] bound = await Task.WhenAll(ids.Select(id => Task.Run(async () => await c.BindPrincipalAsync(id, "ada"))));

        // Live and bound: signing out ends exactly the ones that were still live.
        string[] live = ids.Where(id => c.TryGet<Counter>(id, out _)).ToArray();
        Assert.Equal(3, c.ListPrincipalSessions("ada").Count);
        if (policy == SessionCapPolicy.RefuseNew)
        {
            Assert.Equal(3, bound.Count(b => b));
            Assert.Equal(100, live.Length); // refused logins stay unbound sessions; nothing was ended
        }
        else
        {
            Assert.Equal(3, live.Length); // the others were ended
        }

        c.SignOutEverywhere("ada");
        int boundLive = live.Count(id => !c.TryGet<Counter>(id, out _));
        Assert.Equal(3, boundLive);
    }

    [Fact]
    public async Task SessionStoreLoginUnderTheCapIsRefusedOnceThePrincipalHoldsThree()
    {
        using var c = _env.Create(StorageKind.Memory, o => o.MaxSessionsPerPrincipal = 3);
        var results = new List<SessionCommitResult>();
        for (int i = 0; i < 4; i++)
        {
            var login = new SessionStore<Counter>(null, connector: c);
            await login.LoadAsync();
            login.Data.Value = i;
            await login.BindPrincipalAsync("ada", $"device {i}");
            results.Add(await login.CycleIdAsync());
        }

        Assert.Equal(new[] { SessionCommitResult.Saved, SessionCommitResult.Saved, SessionCommitResult.Saved, SessionCommitResult.Deleted }, results);
        Assert.Equal(new[] { "device 0", "device 1", "device 2" }, c.ListPrincipalSessions("ada").Select(s => s.Label).OrderBy(l => l));
    }

    private static async Task<string[]> KeysAsync(SessionStorage storage)
    {
        var keys = new List<string>();
        await foreach (var pair in storage.EnumerateAsync()) keys.Add(pair.Key);
        return keys.ToArray();
    }

    private static async Task<int> CountAsync(SessionStorage storage) => (await KeysAsync(storage)).Length;
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task APrincipalBindingIsCurrentUntilSignOutEverywhereAndMalformedOnesNeverAre(StorageKind kind)
    {
        using var c = _env.Create(kind);
        string bound = NewSession(c), unbound = NewSession(c);
        c.BindPrincipal(bound, "ada");

        string binding = Assert.IsType<string>(await c.GetPrincipalBindingAsync(bound));
        Assert.Null(await c.GetPrincipalBindingAsync(unbound));
        Assert.DoesNotContain("ada", binding);
        Assert.True(await c.IsPrincipalBindingCurrentAsync(binding));

        foreach (string malformed in new[] { "", "x", binding[..43], binding[..44], binding + "0x", binding[..44] + "-1", binding[..44] + "0", "!" + binding[1..], binding.Replace('.', ':'), new string('A', 200) })
        {
            Assert.False(await c.IsPrincipalBindingCurrentAsync(malformed), malformed);
        }

        c.SignOutEverywhere("ada");
        Assert.False(await c.IsPrincipalBindingCurrentAsync(binding));
        Assert.Null(await c.GetPrincipalBindingAsync(bound));

        // A new sign-in is bound at the new generation: its binding is current, the old one stays dead.
        string again = NewSession(c);
        c.BindPrincipal(again, "ada");
        Assert.True(await c.IsPrincipalBindingCurrentAsync((await c.GetPrincipalBindingAsync(again))!));
        Assert.False(await c.IsPrincipalBindingCurrentAsync(binding));
    }
}
