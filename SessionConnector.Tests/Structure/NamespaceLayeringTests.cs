using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using Xunit;
using Xunit.Abstractions;

namespace SessionConnector.Tests.Structure;

/// <summary>
/// The core assembly's namespaces form layers: no SessionConnector.* namespace may depend (through the types its
/// types name) on a namespace that depends back on it. Reflection is fine here (tests only): each type's base type,
/// interfaces, generic constraints, fields (which include the captured locals of compiler-generated async/iterator
/// state machines and closures), properties, events, method and constructor signatures, method-body locals and
/// custom attributes count as references, and so does every method, field and type a method body's instructions name
/// (calls into another namespace's static helper are dependencies too).
/// </summary>
public sealed class NamespaceLayeringTests
{
    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
        | BindingFlags.Static | BindingFlags.DeclaredOnly;

    // The node the root namespace's base types form. The root namespace is two layers at once: users import the
    // connector (the top: SessionStorageConnector, Sessions, SessionStore) and the types every layer below it names
    // (the bottom: the data contract, the format enum, the key ring) from the one namespace `SessionConnector`. Moving
    // either half to another namespace would break every user's `using`, so the test splits the root namespace into
    // these two nodes instead; a base type that named anything above it would show up as a cycle.
    private const string RootBase = "SessionConnector (base types)";

    // Public root types that lower namespaces may name, each with who names it. Public only (checked below): an
    // internal helper never needs this list, it moves to the namespace that owns its concept.
    private static readonly Dictionary<string, string> RootBaseTypes = new(StringComparer.Ordinal)
    {
        ["SessionConnector.ISessionData`1"] = "the data contract: Serialization, Records, Generated and Reading read and write it",
        ["SessionConnector.SessionFormat"] = "the format enum: Serialization writes it into the payload header, Records and Principals choose it",
        ["SessionConnector.SessionKeyRing"] = "the user-built key ring: Protection and Records derive keys from it",
        ["SessionConnector.SessionFormatException"] = "the decode error: Serialization and the Generated codecs throw it",
        ["SessionConnector.SessionMergeContext"] = "the merge context generated Merge methods take (Generated.SessionMerging)",
        ["SessionConnector.SessionConflictResolver"] = "the merge context's resolver delegate",
        ["SessionConnector.SessionConflictResolution"] = "what the resolver returns",
    };

    // Type references the cycle check leaves out, each exact ("FromNode -> ToNode: FromType -> ToType", as the test
    // prints them) and with the reason. Each closes a cycle on its own (EachAllowedEdgeIsNeeded) and the test fails
    // when one no longer occurs, so the list only shrinks.
    private static readonly Dictionary<string, string> AllowedEdges = new(StringComparer.Ordinal)
    {
        // Public API both ways, permanent unless a public type moves: a view type reads itself through the connector
        // (ISessionDataView<TSelf>.TryRead(SessionStorageConnector, ...) is what generated views implement), and the
        // connector's TryRead<TView> names ISessionDataView.
        ["SessionConnector.Reading -> SessionConnector: ISessionDataView`1 -> SessionStorageConnector"] =
            "public signature: static abstract TryRead/TryReadAsync(SessionStorageConnector, ...)",
        ["SessionConnector.Reading -> SessionConnector: ISessionDataView`2 -> SessionStorageConnector"] =
            "public signature: the default TryRead/TryReadAsync implementations for data-backed views",
    };

    private readonly ITestOutputHelper _output;

    public NamespaceLayeringTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void CoreNamespacesHaveNoCycles()
    {
        var graph = BuildGraph(typeof(SessionSerializer).Assembly);
        var present = graph.SelectMany(n => n.Value.SelectMany(e => e.Value.Select(v => $"{n.Key} -> {e.Key}: {v}"))).ToHashSet();
        var staleEdges = AllowedEdges.Keys.Where(k => !present.Contains(k)).ToList();
        Assert.True(staleEdges.Count == 0, "allowed edges that no longer occur (remove them): " + string.Join("; ", staleEdges));
        graph = Without(graph, AllowedEdges.Keys.ToHashSet());
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
                    foreach (var v in via)
                    {
                        _output.WriteLine($"  {from} -> {to}: {v}");
                    }
                }
            }
        }

        Assert.True(cycles.Count == 0, "namespace cycles (the test output lists their edges): " + string.Join("; ", cycles));
    }

    [Fact]
    public void EachAllowedEdgeIsNeeded()
    {
        // The allowed list stays minimal, and the check can fail on the real assembly: leaving out any one allowed edge
        // from the list brings a cycle back.
        var graph = BuildGraph(typeof(SessionSerializer).Assembly);
        foreach (var edge in AllowedEdges.Keys)
        {
            var others = AllowedEdges.Keys.Where(k => k != edge).ToHashSet();
            Assert.True(StronglyConnected(Without(graph, others)).Any(c => c.Count > 1), edge + " is allowed but no cycle needs it: remove it");
        }
    }

    // A copy of the graph without the listed "From -> To: FromType -> ToType" references (and without edges left empty).
    private static Dictionary<string, Dictionary<string, SortedSet<string>>> Without(
        Dictionary<string, Dictionary<string, SortedSet<string>>> graph, HashSet<string> references) =>
        graph.ToDictionary(
            n => n.Key,
            n => n.Value
                .Select(e => (e.Key, Via: new SortedSet<string>(e.Value.Where(v => !references.Contains($"{n.Key} -> {e.Key}: {v}")), StringComparer.Ordinal)))
                .Where(e => e.Via.Count > 0)
                .ToDictionary(e => e.Key, e => e.Via, StringComparer.Ordinal),
            StringComparer.Ordinal);

    [Fact]
    public void RootBaseTypesArePublicRootTypes()
    {
        var assembly = typeof(SessionSerializer).Assembly;
        foreach (var name in RootBaseTypes.Keys)
        {
            var type = assembly.GetType(name);
            Assert.True(type is { IsPublic: true, Namespace: "SessionConnector" }, name + " is not a public type of the root namespace");
        }
    }

    [Fact]
    public void DetectsACycle()
    {
        // The checker itself can fail: two namespaces naming each other form one component.
        var graph = new Dictionary<string, Dictionary<string, SortedSet<string>>>
        {
            ["A"] = new() { ["B"] = ["x"] },
            ["B"] = new() { ["A"] = ["y"] },
            ["C"] = new() { ["A"] = ["z"] },
        };
        var cycles = StronglyConnected(graph).Where(c => c.Count > 1).ToList();
        Assert.Single(cycles);
        Assert.Equal(new[] { "A", "B" }, cycles[0].OrderBy(n => n, StringComparer.Ordinal));
    }

    // node -> (referenced node -> every "FromType -> ToType" pair, outermost declaring types, for the report)
    private static Dictionary<string, Dictionary<string, SortedSet<string>>> BuildGraph(Assembly assembly)
    {
        var graph = new Dictionary<string, Dictionary<string, SortedSet<string>>>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var from = NamespaceOf(type);
            if (from is null)
            {
                continue;
            }

            if (!graph.TryGetValue(from, out var edges))
            {
                graph[from] = edges = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
            }

            foreach (var referenced in References(type))
            {
                foreach (var leaf in Flatten(referenced))
                {
                    var to = NamespaceOf(leaf);
                    if (to is not null && to != from)
                    {
                        if (!edges.TryGetValue(to, out var via))
                        {
                            edges[to] = via = new SortedSet<string>(StringComparer.Ordinal);
                        }

                        via.Add($"{Outer(type)} -> {Outer(leaf)}");
                    }
                }
            }
        }

        foreach (var key in graph.Values.SelectMany(e => e.Keys).ToList())
        {
            graph.TryAdd(key, new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal));
        }

        return graph;
    }

    // The outermost declaring type without generic arguments: a state machine or closure is reported as its method's type.
    private static string Outer(Type type)
    {
        while (type.DeclaringType is { } declaring)
        {
            type = declaring;
        }

        return type.Name;
    }

    private static string? NamespaceOf(Type type)
    {
        if (type.IsGenericParameter)
        {
            return null;
        }

        var outer = type;
        while (outer.DeclaringType is { } declaring)
        {
            outer = declaring;
        }

        if (outer.IsGenericType && !outer.IsGenericTypeDefinition)
        {
            outer = outer.GetGenericTypeDefinition();
        }

        if (outer.FullName is { } name && RootBaseTypes.ContainsKey(name))
        {
            return RootBase;
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

                foreach (var t in BodyOperands(m, body))
                {
                    yield return t;
                }
            }
        }
    }

    // Every one- and two-byte opcode by its value, to walk IL without a disassembler package.
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    // The types a method body names through its instructions: the declaring type, return and parameter types of each
    // called method, the declaring and field type of each field it touches, and each type token (newarr, castclass,
    // typeof, box, ...). A helper called but never stored in a field or local is an edge too.
    private static IEnumerable<Type> BodyOperands(MethodBase method, MethodBody body)
    {
        var il = body.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod:
                case OperandType.InlineField:
                case OperandType.InlineType:
                case OperandType.InlineTok:
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                    i += 4;
                    switch (member)
                    {
                        case Type t:
                            yield return t;
                            break;
                        case FieldInfo f:
                            yield return f.DeclaringType!;
                            yield return f.FieldType;
                            break;
                        case MethodBase mb:
                            yield return mb.DeclaringType!;
                            if (mb is MethodInfo mi)
                            {
                                yield return mi.ReturnType;
                                if (mi.IsGenericMethod)
                                {
                                    foreach (var g in mi.GetGenericArguments())
                                    {
                                        yield return g;
                                    }
                                }
                            }

                            foreach (var p in mb.GetParameters())
                            {
                                yield return p.ParameterType;
                            }

                            break;
                    }

                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                default:
                    i += OperandSize(op.OperandType);
                    break;
            }
        }
    }

    private static int OperandSize(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };

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
    private static List<List<string>> StronglyConnected(Dictionary<string, Dictionary<string, SortedSet<string>>> graph)
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
