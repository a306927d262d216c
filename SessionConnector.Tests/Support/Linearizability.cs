using System;
using System.Collections.Generic;
using System.Linq;

namespace SessionConnector.Tests.Support;

/// <summary>One completed call in a concurrent history.</summary>
internal sealed record HistoryOp(int Thread, string Kind, int Key, string Arg, long Invoked, long Completed, string Result)
{
    public override string ToString() => $"t{Thread} {Kind}({Key}{(Arg.Length > 0 ? ", " + Arg : "")}) = {Result} [{Invoked}..{Completed}]";
}

/// <summary>
/// A Wing &amp; Gong style linearizability checker for short histories over a map of sessions: search for a total order
/// that respects real time (an op that completed before another was invoked comes first) in which every result is
/// what the sequential model returns. Memoised on (linearized set, model state).
/// </summary>
internal static class Linearizability
{
    /// <summary>The sequential model: a session is absent or "value|log".</summary>
    public static bool Apply(HistoryOp op, string?[] state, out string?[] next)
    {
        next = (string?[])state.Clone();
        string? current = state[op.Key];
        switch (op.Kind)
        {
            case "Get":
                return op.Result == (current ?? "absent");
            case "Set":
                if (op.Result == "True")
                {
                    next[op.Key] = op.Arg + "|";
                    return true;
                }

                // A Set that lost to a Delete (documented: a delete wins over a write that started before it) writes
                // nothing; it linearizes just before that delete, i.e. it is a no-op observed where the session is gone.
                return op.Result == "False" && current is null;
            case "Update":
                if (current is null) return op.Result == "False";
                if (op.Result != "True") return false;
                string[] parts = current.Split('|');
                next[op.Key] = (long.Parse(parts[0]) + 1) + "|" + parts[1] + op.Arg;
                return true;
            case "Delete":
                next[op.Key] = null;
                return op.Result == (current is not null ? "True" : "False");
            default:
                throw new ArgumentException("unknown op " + op.Kind);
        }
    }

    /// <summary>Returns a witness order, or null when the history is not linearizable.</summary>
    public static List<HistoryOp>? Check(IReadOnlyList<HistoryOp> history, int keys)
    {
        if (history.Count > 30) throw new ArgumentException("histories are kept short");
        var seen = new HashSet<(int, string)>();
        var order = new List<HistoryOp>();
        return Search(history, 0, new string?[keys], seen, order) ? order : null;
    }

    private static bool Search(IReadOnlyList<HistoryOp> history, int done, string?[] state, HashSet<(int, string)> seen, List<HistoryOp> order)
    {
        if (done == (1 << history.Count) - 1) return true;
        if (!seen.Add((done, string.Join(";", state.Select(s => s ?? "-"))))) return false;

        // Only ops invoked before every pending op completed may come next.
        long horizon = long.MaxValue;
        for (int i = 0; i < history.Count; i++)
        {
            if ((done & (1 << i)) == 0) horizon = Math.Min(horizon, history[i].Completed);
        }

        for (int i = 0; i < history.Count; i++)
        {
            if ((done & (1 << i)) != 0 || history[i].Invoked > horizon) continue;
            if (!Apply(history[i], state, out string?[] next)) continue;
            order.Add(history[i]);
            if (Search(history, done | (1 << i), next, seen, order)) return true;
            order.RemoveAt(order.Count - 1);
        }

        return false;
    }
}
