using System;
using BenchmarkDotNet.Attributes;
using SessionConnector.Storage;

namespace SessionConnector.Benchmarks;

/// <summary>
/// The cost of a commit that lost its compare-and-set to another request (re-read + generated three-way merge +
/// retried write) against a plain commit, on memory storage (no cache: every load decrypts and decodes).
/// </summary>
/// <remarks>
/// Each operation is one request: load the session, change a member, let "another request" commit, then commit.
/// The other request is an <see cref="SessionStorageConnector.Update{T}(string, Action{T})"/> that changes a different
/// member: in <see cref="PlainCommit"/> it updates another session (no conflict), in <see cref="ConflictedCommit"/>
/// this one (the commit conflicts and merges). <see cref="LoadAndOtherRequest"/> is the same work without the
/// commit, so the commit alone costs (X − LoadAndOtherRequest): the conflict figure is
/// (ConflictedCommit − LoadAndOtherRequest) / (PlainCommit − LoadAndOtherRequest); goal ≤ 2.
/// Run: <c>dotnet run -c Release --project benchmarks/SessionConnector.Benchmarks -- --bdn --filter *ConflictMerge*</c>.
/// </remarks>
[MedianColumn, MinColumn]
[Comparison("8. Commit conflict: re-read + merge + retry (memory storage)",
    "One request each: load, change a member, another request updates (another session for PlainCommit, this one for ConflictedCommit), commit. The commit alone costs X − LoadAndOtherRequest; goal: (ConflictedCommit − LoadAndOtherRequest) / (PlainCommit − LoadAndOtherRequest) ≤ 2. See docs/concurrency.md.")]
public class ConflictMergeBenchmarks
{
    private static readonly SessionStoreOptions StoreOptions = new() { Lifetime = null };

    private SessionStorageConnector _connector = null!;
    private string _id = "";
    private string _otherId = "";

    [GlobalSetup]
    public void Setup()
    {
        string[] ids = Shared.SessionIds(2, seed: 777);
        _id = ids[0];
        _otherId = ids[1];
        _connector = new SessionStorageConnector(new MemorySessionStorage(), Shared.Options());
        _connector.Set(_id, BenchSession.CreateTypical());
        _connector.Set(_otherId, BenchSession.CreateTypical(2));

        // Fail loudly if the conflicted path does not merge (it would measure something else).
        long user = _connector.Get<BenchSession>(_id)!.UserId;
        int tenant = _connector.Get<BenchSession>(_id)!.TenantId;
        if (Request(_id, commit: true) != SessionCommitResult.Saved) throw new InvalidOperationException("The conflicted commit did not merge.");
        BenchSession after = _connector.Get<BenchSession>(_id)!;
        if (after.UserId != user + 1 || after.TenantId != tenant + 1) throw new InvalidOperationException("The merge lost a change.");
    }

    [GlobalCleanup]
    public void Cleanup() => _connector.Dispose();

    [Benchmark(Baseline = true)]
    public SessionCommitResult PlainCommit() => Request(_otherId, commit: true);

    [Benchmark]
    public SessionCommitResult ConflictedCommit() => Request(_id, commit: true);

    [Benchmark]
    public SessionCommitResult LoadAndOtherRequest() => Request(_id, commit: false);

    private SessionCommitResult Request(string otherRequestsSession, bool commit)
    {
        var store = new SessionStore<BenchSession>(_id, StoreOptions, _connector);
        store.Data.UserId++;
        _connector.Update<BenchSession>(otherRequestsSession, s => s.TenantId++);
        return commit ? store.Commit() : SessionCommitResult.Unchanged;
    }
}
