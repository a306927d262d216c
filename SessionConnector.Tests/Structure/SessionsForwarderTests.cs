using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Structure;

/// <summary>
/// <see cref="Sessions"/> is the seed's static front door: one-line forwarders to <see cref="SessionStorageConnector"/>.
/// Writing them by hand is kept, and these tests take away the risk of doing so: a forwarder's signature (names,
/// nullability, default values, return type, as the tracked PublicAPI files spell them, plus generic constraints, which
/// those files leave out) must be the connector member's, and every connector data verb must have a forwarder. Adding
/// <c>SessionStorageConnector.GetManyAsync</c> without <c>Sessions.GetManyAsync</c>, or changing a default on one side
/// only, fails here.
/// </summary>
public sealed partial class SessionsForwarderTests
{
    private const string ForwarderPrefix = "static SessionConnector.Sessions.";
    private const string ConnectorPrefix = "SessionConnector.SessionStorageConnector.";

    [Fact]
    public void ForwardersMatchTheConnectorAndCoverEveryDataVerb()
    {
        var lines = new[] { "PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt" }
            .SelectMany(f => File.ReadAllLines(SourceTree.Path("..", "SessionConnector", f)))
            .ToList();

        var problems = Problems(lines);

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.Contains(lines, l => l.StartsWith(ForwarderPrefix + "Get<T>(", StringComparison.Ordinal)); // the files were read
    }

    [Fact]
    public void ForwardersHaveTheConnectorsGenericConstraints()
    {
        var connector = typeof(SessionStorageConnector).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.IsGenericMethodDefinition)
            .ToList();
        var forwarders = typeof(Sessions).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.IsGenericMethodDefinition)
            .ToList();

        Assert.NotEmpty(forwarders);
        foreach (var forwarder in forwarders)
        {
            var target = connector.SingleOrDefault(m => m.Name == forwarder.Name && Parameters(m) == Parameters(forwarder));
            Assert.True(target is not null, $"Sessions.{forwarder.Name}({Parameters(forwarder)}) forwards to no connector member");
            Assert.Equal(Constraints(target!), Constraints(forwarder));
        }
    }

    [Fact]
    public void ReportsAMismatchedForwarderAndAMissingOne()
    {
        // The checks themselves can fail: a default that differs, a verb with no forwarder, and constraints that differ
        // (Get<T> requires a class, TryGet<T> does not) are reported; a matching pair is not.
        var lines = new List<string>
        {
            ConnectorPrefix + "Get<T>(string! id) -> T?",
            ForwarderPrefix + "Get<T>(string! id) -> T?",
            ConnectorPrefix + "SetAsync<T>(string! id, T data, System.TimeSpan? expiry = null) -> System.Threading.Tasks.ValueTask<bool>",
            ForwarderPrefix + "SetAsync<T>(string! id, T data, System.TimeSpan? expiry = default) -> System.Threading.Tasks.ValueTask<bool>",
            ConnectorPrefix + "DeleteAsync(string! id) -> System.Threading.Tasks.ValueTask<bool>",
            ConnectorPrefix + "BindPrincipal(string! id, string! principal) -> bool", // not a data verb: no forwarder needed
        };

        var problems = Problems(lines);

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Sessions.SetAsync", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("SessionStorageConnector.SetAsync", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("SessionStorageConnector.DeleteAsync", StringComparison.Ordinal));

        var get = typeof(SessionStorageConnector).GetMethod(nameof(SessionStorageConnector.Get))!;
        var tryGet = typeof(SessionStorageConnector).GetMethod(nameof(SessionStorageConnector.TryGet))!;
        Assert.NotEqual(Constraints(get), Constraints(tryGet));
    }

    // A Sessions member named like a connector member is a forwarder and must match one of its overloads exactly;
    // every connector data verb overload must have a forwarder with the same signature.
    private static List<string> Problems(IEnumerable<string> publicApiLines)
    {
        var forwarders = Members(publicApiLines, ForwarderPrefix);
        var connector = Members(publicApiLines, ConnectorPrefix);
        var problems = new List<string>();
        foreach (var (name, signature) in forwarders)
        {
            var overloads = connector.Where(c => c.Name == name).Select(c => c.Signature).ToList();
            if (overloads.Count > 0 && !overloads.Contains(signature))
            {
                problems.Add($"Sessions.{name}{signature} matches no SessionStorageConnector.{name} overload: {string.Join(" | ", overloads)}");
            }
        }

        foreach (var (name, signature) in connector.Where(c => DataVerb().IsMatch(c.Name)))
        {
            if (!forwarders.Contains((name, signature)))
            {
                problems.Add($"SessionStorageConnector.{name}{signature} has no Sessions forwarder with that signature");
            }
        }

        return problems;
    }

    // (member name, the rest of the PublicAPI line): "Get<T>(string! id) -> T?" becomes ("Get", "<T>(string! id) -> T?").
    private static List<(string Name, string Signature)> Members(IEnumerable<string> lines, string prefix) =>
        lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => MemberName().Match(l, prefix.Length))
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value))
            .ToList();

    private static string Parameters(MethodInfo method) =>
        string.Join(", ", method.GetParameters().Select(p => p.ParameterType.ToString()));

    private static string Constraints(MethodInfo method) =>
        string.Join("; ", method.GetGenericArguments().Select(g =>
            $"{g.Name}: {g.GenericParameterAttributes & GenericParameterAttributes.SpecialConstraintMask} "
            + string.Join(", ", g.GetGenericParameterConstraints().Select(c => c.ToString()).Order(StringComparer.Ordinal))));

    [GeneratedRegex(@"\G([A-Za-z_][A-Za-z0-9_]*)(.*)$")]
    private static partial Regex MemberName();

    // What Sessions must forward: reading, writing and deleting session data, and the store-wide Clear/Save/PurgeExpired.
    // Principal binding, sign-out and key rotation are left to Sessions.Connector (rare operations, not the seed's verbs).
    [GeneratedRegex(@"^(Get|TryGet|TryRead|Set|Update|Delete|Clear|Save|PurgeExpired)(Async)?$")]
    private static partial Regex DataVerb();
}
