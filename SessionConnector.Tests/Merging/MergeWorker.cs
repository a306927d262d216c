using System;
using SessionConnector;

namespace SessionConnector.Tests.Merging;

/// <summary>
/// One side of the two-process merge test (also run in the child process through <c>TestWorker</c>): request after
/// request, each loads the session, bumps its own member and the shared Sum counter, and commits.
/// </summary>
public static class MergeWorker
{
    public static int RunWorker(string[] args)
    {
        // worker store-merge <dir> <id> <member> <rounds>
        using SessionStorageConnector c = Support.TestWorker.Open(args[2]);
        return Run(c, args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static int Run(SessionStorageConnector c, string id, int member, int rounds)
    {
        // Each failed attempt means the other process committed in between; it commits at most `rounds` times.
        var options = new SessionStoreOptions { MaxMergeAttempts = (2 * rounds) + 2 };
        for (int i = 0; i < rounds; i++)
        {
            var store = new SessionStore<MergeCounters>(id, options, c);
            store.Data.Bump(member);
            store.Data.Total++;
            SessionCommitResult result = store.Commit();
            if (result != SessionCommitResult.Saved) throw new InvalidOperationException($"commit {i} of member {member}: {result} [{string.Join(", ", store.Conflicts)}]");
        }

        return 0;
    }
}
