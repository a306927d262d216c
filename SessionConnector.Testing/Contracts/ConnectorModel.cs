using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using Microsoft.Extensions.Time.Testing;
using SessionConnector;
using SessionConnector.Storage;
using SessionConnector.Testing;

namespace SessionConnector.Testing.Contracts;

/// <summary>
/// Random sequences of Set/Get/Update/Delete/Clear/CycleId/clock-advance against a connector, compared after every step
/// with a plain dictionary model that has the documented expiry semantics (Update keeps the expiry, expired reads as
/// absent, Delete reports whether a live session was removed). CsCheck shrinks a failure to a minimal sequence and
/// prints its seed. Shared by the memory/file run here and the Redis run in SessionConnector.Redis.Tests.
/// </summary>
public static class ConnectorModel
{
    // Far in the future: a real Redis server applies the connector's (fake-clock) expiry as a native TTL, which must
    // not lapse during the run; the connector enforces the fake-clock expiry itself.
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    public sealed class Actual
    {
        public required SessionStorageConnector Connector { get; init; }

        public required FakeTimeProvider Clock { get; init; }

        public bool ServerClock { get; init; }

        public string[] Ids { get; } = Enumerable.Range(0, Slots).Select(_ => SessionStorageConnector.GenerateId()).ToArray();

        public List<string> Retired { get; } = new();

        public string Last { get; set; } = "";

        public int Steps;

        public override string ToString() => $"Actual(last {Last})";
    }

    public sealed class Model
    {
        public DateTimeOffset Now { get; set; } = Start;

        public bool ServerClock { get; init; }

        public Dictionary<int, (long Value, List<string> Log, DateTimeOffset? ExpiresAt)> Sessions { get; } = new();

        public string Last { get; set; } = "";

        /// <summary>The live session in a slot, dropping it if it expired (expiry is "at or before now").</summary>
        public (long Value, List<string> Log, DateTimeOffset? ExpiresAt)? Live(int slot)
        {
            if (!Sessions.TryGetValue(slot, out var s)) return null;
            if (s.ExpiresAt is { } at && at <= Now)
            {
                Sessions.Remove(slot);
                return null;
            }

            return s;
        }

        public override string ToString() =>
            $"Model(now +{(Now - Start).TotalSeconds}s, last {Last}, " + string.Join(" ", Sessions.OrderBy(p => p.Key).Select(p => $"[{p.Key}]={Show(p.Value.Value, p.Value.Log)} exp {(p.Value.ExpiresAt is { } e ? "+" + (e - Start).TotalSeconds + "s" : "never")}")) + ")";
    }

    private const int Slots = 3;

    // A storage on a server's clock (Redis) still holds a record the fake clock has expired, so Delete's "was it live"
    // answer is the server's; the state after the delete is still checked in full.
    private static string Reported(bool serverClock, bool deleted) => serverClock ? "(server's answer)" : deleted.ToString();

    private static string Show(long value, IEnumerable<string> log) => value + "|" + string.Join(",", log);

    private static string Read(Actual a, int slot) =>
        a.Connector.TryGet<Counter>(a.Ids[slot], out Counter? c) ? Show(c.Value, c.Log) : "absent";

    private static readonly Gen<int> Slot = Gen.Int[0, Slots - 1];

    private static GenOperation<Actual, Model>[] Operations() => new[]
    {
        // Set(slot, value, expiry seconds: 0 = none)
        Gen.Select(Slot, Gen.Int[0, 100], Gen.Int[0, 3].Select(k => new[] { 0, 1, 2, 5 }[k])).Operation<Actual, Model>(
            t => $"Set({t.Item1}, {t.Item2}, {(t.Item3 == 0 ? "no expiry" : t.Item3 + "s")})",
            (a, t) => a.Last = "Set " + a.Connector.Set(a.Ids[t.Item1], new Counter { Value = t.Item2 }, t.Item3 == 0 ? null : TimeSpan.FromSeconds(t.Item3)),
            (m, t) =>
            {
                m.Sessions[t.Item1] = (t.Item2, new List<string>(), t.Item3 == 0 ? null : m.Now + TimeSpan.FromSeconds(t.Item3));
                m.Last = "Set True";
            }),
        Slot.Operation<Actual, Model>(
            i => $"Get({i})",
            (a, i) => a.Last = "Get " + Read(a, i),
            (m, i) => m.Last = "Get " + (m.Live(i) is { } s ? Show(s.Value, s.Log) : "absent")),
        Gen.Select(Slot, Gen.Char['a', 'z']).Operation<Actual, Model>(
            t => $"Update({t.Item1}, +'{t.Item2}')",
            (a, t) => a.Last = "Update " + a.Connector.Update<Counter>(a.Ids[t.Item1], c =>
            {
                c.Value++;
                c.Log.Add(t.Item2.ToString());
            }),
            (m, t) =>
            {
                if (m.Live(t.Item1) is { } s)
                {
                    m.Sessions[t.Item1] = (s.Value + 1, s.Log.Append(t.Item2.ToString()).ToList(), s.ExpiresAt);
                    m.Last = "Update True";
                }
                else
                {
                    m.Last = "Update False";
                }
            }),
        Slot.Operation<Actual, Model>(
            i => $"Delete({i})",
            (a, i) => a.Last = "Delete " + Reported(a.ServerClock, a.Connector.Delete(a.Ids[i])),
            (m, i) =>
            {
                m.Last = "Delete " + Reported(m.ServerClock, m.Live(i) is not null);
                m.Sessions.Remove(i);
            }),
        Gen.Const(0).Operation<Actual, Model>(
            _ => "Clear()",
            (a, _) =>
            {
                a.Connector.Clear();
                a.Last = "Clear";
            },
            (m, _) =>
            {
                m.Sessions.Clear();
                m.Last = "Clear";
            }),
        Slot.Operation<Actual, Model>(
            i => $"CycleId({i})",
            (a, i) =>
            {
                var store = new SessionStore<Counter>(a.Ids[i], null, a.Connector);
                store.CycleId();
                a.Retired.Add(a.Ids[i]);
                a.Ids[i] = store.Id;
                a.Last = "CycleId";
            },
            (m, i) =>
            {
                // A live session keeps its data and expiry; a missing one becomes a new default session with the
                // store's default 1-day lifetime (SessionStore never adopts an unknown ID).
                m.Sessions[i] = m.Live(i) is { } s ? s : (0, new List<string>(), m.Now + TimeSpan.FromDays(1));
                m.Last = "CycleId";
            }),
        Gen.Int[1, 3].Operation<Actual, Model>(
            s => $"Advance({s}s)",
            (a, s) =>
            {
                a.Clock.Advance(TimeSpan.FromSeconds(s));
                a.Last = "Advance";
            },
            (m, s) =>
            {
                m.Now += TimeSpan.FromSeconds(s);
                m.Last = "Advance";
            }),
    };

    /// <summary>After every step: the step's result, then every slot's session read through the connector, then every retired ID.</summary>
    private static bool Equal(Actual a, Model m)
    {
        if (a.Last != m.Last) return false;
        for (int i = 0; i < Slots; i++)
        {
            string expected = m.Live(i) is { } s ? Show(s.Value, s.Log) : "absent";
            if (Read(a, i) != expected) return false;
        }

        foreach (string old in a.Retired)
        {
            if (a.Connector.TryGet<Counter>(old, out _)) return false;
        }

        a.Steps++;
        return true;
    }

    /// <summary>Runs <paramref name="iterations"/> random sequences on fresh connectors over <paramref name="storage"/>.</summary>
    /// <param name="serverClock">True when the storage expires records by its own clock (Redis), not the fake one.</param>
    public static void Run(Func<FakeTimeProvider, SessionStorage> storage, bool cache, long iterations, Action<string> writeLine, ConcurrentBag<IDisposable> created, bool serverClock = false)
    {
        Gen<(Actual, Model)> initial = Gen.Const(() =>
        {
            var clock = new FakeTimeProvider(Start);
            var connector = new SessionStorageConnector(storage(clock), new SessionConnectorOptions
            {
                Keys = SessionKeyRing.FromSecret(Key),
                TimeProvider = clock,
                CacheCapacity = cache ? 64 : 0,
            });
            created.Add(connector);
            return (new Actual { Connector = connector, Clock = clock, ServerClock = serverClock }, new Model { ServerClock = serverClock });
        });
        initial.SampleModelBased(
            Operations(),
            equal: Equal,
            iter: iterations,
            printActual: a => a.ToString(),
            printModel: m => m.ToString(),
            classify: m => m.Sessions.Count == 0 ? "no sessions" : "some sessions",
            writeLine: writeLine);
    }
}
