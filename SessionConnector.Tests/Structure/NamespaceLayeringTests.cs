using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Structure;

/// <summary>
/// The core assembly's namespaces form layers: no SessionConnector.* namespace may depend (through the types its
/// types name) on a namespace that depends back on it. Reflection is fine here (tests only): each type's base type,
/// interfaces, generic constraints, fields (which include the captured locals of compiler-generated async/iterator
/// state machines and closures), properties, events, method and constructor signatures, method-body locals and
/// custom attributes count as references. Method bodies' call targets are not read, so this is a lower bound.
/// </summary>
public sealed class NamespaceLayeringTests
{
    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
        | BindingFlags.Static | BindingFlags.DeclaredOnly;

    // Cycles that exist today and are allowed, each with the reason. An entry here is debt; the test fails when an
    // entry no longer matches, so the list shrinks as cycles are broken. Key: one strongly connected component's
    // namespaces, sorted and joined with " <-> ".
    private static readonly Dictionary<string, string> AllowedCycles = new(StringComparer.Ordinal)
    {
        // The root namespace holds the connector (SessionStorageConnector, Sessions) and user-facing types that
        // lower layers name: Protection.SessionProtector takes the root SessionKeyRing (its file sits in Protection/
        // but users import it from SessionConnector), Records.PayloadHeader names the root SessionFormat, and
        // Reading.ISessionDataView names the root ISessionData. The connector in turn composes Protection, Records
        // and Reading. Breaking it means moving the connector out of the root namespace (or those user-facing types
        // into a lower one): a namespace change users would feel, and Protection/Principals were being edited in
        // parallel during issue 21, so it was left for a follow-up.
        ["SessionConnector <-> SessionConnector.Protection <-> SessionConnector.Reading <-> SessionConnector.Records"] =
            "connector in the root namespace composes Protection, Records and Reading, which name root user types",
    };

    private readonly ITestOutputHelper _output;

    public NamespaceLayeringTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void CoreNamespacesHaveNoCycles()
    {
        var graph = BuildGraph(typeof(SessionSerializer).Assembly);
        var cycles = StronglyConnected(graph).Where(c => c.Count > 1)
            .Select(c => string.Join(" <-> ", c.OrderBy(n => n, StringComparer.Ordinal)))
            .ToList();
        foreach (var cycle in cycles)
        {
            _output.WriteLine("cycle: " + cycle);
            foreach (var from in cycle.Split(" <-> "))
            {
                foreach (var (to, via) in graph[from].Where(e => cycle.Split(" <-> ").Contains(e.Key)))
                {
                    _output.WriteLine($"  {from} -> {to} via {via}");
                }
            }
        }

        var unexpected = cycles.Where(c => !AllowedCycles.ContainsKey(c)).ToList();
        Assert.True(unexpected.Count == 0, "namespace cycles: " + string.Join("; ", unexpected));
        var stale = AllowedCycles.Keys.Where(k => !cycles.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "allowed cycles that no longer exist (remove them): " + string.Join("; ", stale));
    }

    [Fact]
    public void DetectsACycle()
    {
        // The checker itself can fail: two namespaces naming each other form one component.
        var graph = new Dictionary<string, Dictionary<string, string>>
        {
            ["A"] = new() { ["B"] = "x" },
            ["B"] = new() { ["A"] = "y" },
            ["C"] = new() { ["A"] = "z" },
        };
        var cycles = StronglyConnected(graph).Where(c => c.Count > 1).ToList();
        Assert.Single(cycles);
        Assert.Equal(new[] { "A", "B" }, cycles[0].OrderBy(n => n, StringComparer.Ordinal));
    }

    // namespace -> (referenced namespace -> one example "Type -> Type" for the report)
    private static Dictionary<string, Dictionary<string, string>> BuildGraph(Assembly assembly)
    {
        var graph = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var from = NamespaceOf(type);
            if (from is null)
            {
                continue;
            }

            if (!graph.TryGetValue(from, out var edges))
            {
                graph[from] = edges = new Dictionary<string, string>(StringComparer.Ordinal);
            }

            foreach (var referenced in References(type))
            {
                foreach (var leaf in Flatten(referenced))
                {
                    var to = NamespaceOf(leaf);
                    if (to is not null && to != from && !edges.ContainsKey(to))
                    {
                        edges[to] = $"{type.FullName ?? type.ToString()} -> {leaf.FullName ?? leaf.ToString()}";
                    }
                }
            }
        }

        foreach (var key in graph.Values.SelectMany(e => e.Keys).ToList())
        {
            graph.TryAdd(key, new Dictionary<string, string>(StringComparer.Ordinal));
        }

        return graph;
    }

    private static string? NamespaceOf(Type type)
    {
        if (type.IsGenericParameter)
        {
            return null;
        }

        var ns = type.Namespace;
        return ns is not null && (ns == "SessionConnector" || ns.StartsWith("SessionConnector.", StringComparison.Ordinal))
            ? ns
            : null;
    }

    private static IEnumerable<Type> References(Type type)
    {
        if (type.BaseType is { } baseType)
        {
            yield return baseType;
        }

        foreach (var i in type.GetInterfaces())
        {
            yield return i;
        }

        foreach (var a in type.GetCustomAttributesData())
        {
            yield return a.AttributeType;
        }

        if (type.IsGenericTypeDefinition)
        {
            foreach (var p in type.GetGenericArguments())
            {
                foreach (var c in p.GetGenericParameterConstraints())
                {
                    yield return c;
                }
            }
        }

        foreach (var f in type.GetFields(All))
        {
            yield return f.FieldType;
        }

        foreach (var p in type.GetProperties(All))
        {
            yield return p.PropertyType;
        }

        foreach (var e in type.GetEvents(All))
        {
            if (e.EventHandlerType is { } handler)
            {
                yield return handler;
            }
        }

        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi)
            {
                yield return mi.ReturnType;
                if (mi.IsGenericMethodDefinition)
                {
                    foreach (var c in mi.GetGenericArguments().SelectMany(g => g.GetGenericParameterConstraints()))
                    {
                        yield return c;
                    }
                }
            }

            foreach (var p in m.GetParameters())
            {
                yield return p.ParameterType;
            }

            foreach (var a in m.GetCustomAttributesData())
            {
                yield return a.AttributeType;
            }

            if (m.GetMethodBody() is { } body)
            {
                foreach (var local in body.LocalVariables)
                {
                    yield return local.LocalType;
                }
            }
        }
    }

    // Unwraps arrays, pointers, by-refs and generic arguments: List<SessionKey[]> references SessionKey too.
    private static IEnumerable<Type> Flatten(Type type)
    {
        if (type.HasElementType)
        {
            foreach (var t in Flatten(type.GetElementType()!))
            {
                yield return t;
            }

            yield break;
        }

        yield return type;
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (var t in type.GetGenericArguments().SelectMany(Flatten))
            {
                yield return t;
            }
        }
    }

    // Tarjan's algorithm; returns every strongly connected component.
    private static List<List<string>> StronglyConnected(Dictionary<string, Dictionary<string, string>> graph)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<List<string>>();
        var next = 0;

        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in graph[v].Keys)
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], index[w]);
                }
            }

            if (low[v] == index[v])
            {
                var component = new List<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    onStack.Remove(w);
                    component.Add(w);
                }
                while (w != v);
                result.Add(component);
            }
        }

        foreach (var v in graph.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (!index.ContainsKey(v))
            {
                Visit(v);
            }
        }

        return result;
    }
}
