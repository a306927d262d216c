using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using SessionConnector.Generators.Model;

namespace SessionConnector.Generators;

public sealed partial class SessionDataGenerator
{
    /// <summary>Reads a member's <c>[SessionMerge]</c> strategy and checks that it fits the member's type (SCG020–SCG023).</summary>
    internal static class MergeParser
    {
        private const string SessionMergeAttributeName = "SessionConnector.SessionMergeAttribute";

        public static MergeStrategy StrategyOf(
            ISymbol member, IMethodSymbol? constructor, TypeShape shape, Location location, string typeDisplay, List<DiagnosticInfo> diagnostics)
        {
            var attribute = Find(member);
            if (attribute is null && constructor is not null)
            {
                // Record primary constructors: [SessionMerge(...)] written on the parameter.
                var parameter = constructor.Parameters.FirstOrDefault(p => string.Equals(p.Name, member.Name, System.StringComparison.OrdinalIgnoreCase));
                attribute = parameter is null ? null : Find(parameter);
            }

            if (attribute is not { ConstructorArguments.Length: 1 } || attribute.ConstructorArguments[0].Value is not int value)
            {
                return MergeStrategy.ThreeWay;
            }

            var memberType = shape.TypeName.Replace("global::", string.Empty);
            if (value is < (int)MergeStrategy.ThreeWay or > (int)MergeStrategy.Sum)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownMergeStrategy, location, member.Name, typeDisplay, value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return MergeStrategy.ThreeWay;
            }

            var strategy = (MergeStrategy)value;
            switch (strategy)
            {
                case MergeStrategy.Union when shape.Kind != ShapeKind.HashSet:
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnionNeedsSet, location, member.Name, typeDisplay, memberType));
                    return MergeStrategy.ThreeWay;
                case MergeStrategy.Max or MergeStrategy.Min when !IsOrdered(shape.Kind):
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MaxMinNeedsOrderedType, location, member.Name, typeDisplay, memberType, strategy.ToString()));
                    return MergeStrategy.ThreeWay;
                case MergeStrategy.Sum when !IsSummable(shape.Kind):
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SumNeedsNumber, location, member.Name, typeDisplay, memberType));
                    return MergeStrategy.ThreeWay;
                default:
                    return strategy;
            }
        }

        private static AttributeData? Find(ISymbol symbol)
            => symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == SessionMergeAttributeName);

        internal static bool IsSummable(ShapeKind kind) => kind is
            ShapeKind.SByte or ShapeKind.Byte or ShapeKind.Int16 or ShapeKind.UInt16 or ShapeKind.Int32 or ShapeKind.UInt32 or
            ShapeKind.Int64 or ShapeKind.UInt64 or ShapeKind.Single or ShapeKind.Double or ShapeKind.Decimal or ShapeKind.TimeSpan;

        private static bool IsOrdered(ShapeKind kind) => IsSummable(kind) || kind is
            ShapeKind.Char or ShapeKind.Enum or ShapeKind.DateTime or ShapeKind.DateTimeOffset or ShapeKind.DateOnly or ShapeKind.TimeOnly;
    }

    /// <summary>
    /// Emits, per <c>[SessionData]</c> type, its own file with the three-way merge and the member-wise equality
    /// (<c>ISessionData&lt;T&gt;.Merge</c> / <c>ValueEquals</c>). Sets, dictionaries and nested types merge through
    /// <c>global::SessionConnector.SessionMerging</c>; scalars inline. No reflection, no boxing.
    /// </summary>
    internal static class MergeEmitter
    {
        private const string Merging = "global::SessionConnector.SessionMerging";
        private const string Context = "global::SessionConnector.SessionMergeContext";
        private const string Class = "__SessionDataMerge";

        public static string HintName(SessionTypeModel model) => SiblingHintName(model, ".Merge.g.cs");

        public static string Emit(SessionTypeModel model)
        {
            var w = new IndentedWriter();
            var t = model.FullyQualifiedName;
            var iface = $"global::SessionConnector.ISessionData<{t}>";
            WriteInType(w, model, "merging", $"{model.Keyword} {Escape(model.Name)}", () =>
            {
                w.Line($"""
                    static bool {iface}.ValueEquals({t} left, {t} right) => {Class}.Equal(left, right);

                    static {t} {iface}.Merge({t} @base, {t} mine, {t} theirs, {Context} context) => {Class}.Merge(@base, mine, theirs, context);

                    {GeneratedCodeAttribute}
                    """);
                using (w.Open($"private static class {Class}"))
                {
                    new Body(model, w).Write();
                }
            });

            return w.ToString();
        }

        private sealed class Body
        {
            private readonly SessionTypeModel _model;
            private readonly IndentedWriter _w;
            private readonly List<TypeShape> _shapes = new();
            private readonly Dictionary<string, int> _ids = new();

            public Body(SessionTypeModel model, IndentedWriter writer)
            {
                _model = model;
                _w = writer;
                foreach (var member in model.Members)
                {
                    Register(member.Shape);
                }
            }

            private string T => _model.FullyQualifiedName;

            private void Register(TypeShape shape)
            {
                if (shape.Element is { } element)
                {
                    Register(element);
                }

                if (!_ids.ContainsKey(shape.TypeName))
                {
                    _ids.Add(shape.TypeName, _shapes.Count);
                    _shapes.Add(shape);
                }
            }

            private string EqualOf(TypeShape shape) => "Equal_" + _ids[shape.TypeName];

            public void Write()
            {
                MergeEntry();
                EqualEntry();
                foreach (var shape in _shapes)
                {
                    using (_w.Open($"private static bool {EqualOf(shape)}({shape.TypeName} a, {shape.TypeName} b)"))
                    {
                        EqualBody(shape);
                    }

                    _w.Line();
                }
            }

            private void MergeEntry()
            {
                using (_w.Open($"internal static {T} Merge({T} @base, {T} mine, {T} theirs, {Context} context)"))
                {
                    if (!_model.IsValueType)
                    {
                        _w.Line($$"""
                            if (@base is null || mine is null || theirs is null)
                            {
                                return {{Merging}}.MergeWhole<{{T}}>(@base, mine, theirs, context)!;
                            }

                            """);
                    }

                    for (var i = 0; i < _model.Members.Count; i++)
                    {
                        _w.Line($"var __v{i} = {MergeExpression(_model.Members[i])};");
                    }

                    Construct();
                    _w.Line("return __result;");
                }

                _w.Line();
            }

            private string MergeExpression(MemberModel member)
            {
                var shape = member.Shape;
                var name = Escape(member.Name);
                var (b, m, t) = ($"@base.{name}", $"mine.{name}", $"theirs.{name}");
                var eq = EqualOf(shape);
                var label = Literal(member.Name);
                return member.Merge switch
                {
                    MergeStrategy.LastWriterWins => $"{eq}({m}, {b}) ? {t} : {m}",
                    MergeStrategy.Union => $"{Merging}.MergeSet({b}, {m}, {t}, context, {label}, union: true)!",
                    MergeStrategy.Max => $"{eq}({m}, {b}) ? {t} : {eq}({t}, {b}) ? {m} : ({m} > {t} ? {m} : {t})",
                    MergeStrategy.Min => $"{eq}({m}, {b}) ? {t} : {eq}({t}, {b}) ? {m} : ({m} < {t} ? {m} : {t})",

                    // Concurrent increments commute: theirs already holds the other request's delta, add ours.
                    MergeStrategy.Sum => $"unchecked(({shape.TypeName})({t} + ({m} - {b})))",
                    _ => shape.Kind switch
                    {
                        ShapeKind.HashSet => $"{Merging}.MergeSet({b}, {m}, {t}, context, {label}, union: false)!",
                        ShapeKind.Dictionary => $"{Merging}.MergeDictionary({b}, {m}, {t}, context, {label}, {EqualOf(shape.Element!)})!",
                        ShapeKind.SessionData => $"{Merging}.MergeNested<{shape.CreateName}>({b}, {m}, {t}, context, {label})!",
                        _ => $"{eq}({m}, {b}) ? {t} : ({eq}({t}, {b}) || {eq}({m}, {t})) ? {m} : context.Conflict<{shape.TypeName}>({label}, {m}, {t})",
                    },
                };
            }

            /// <summary>Builds <c>__result</c> from the merged values: constructor, object initializer, then setters.</summary>
            private void Construct()
            {
                var members = _model.Members;
                var args = _model.ConstructorParameters.Select(p => p.DefaultValueExpression).ToArray();
                var inits = new List<string>();
                for (var i = 0; i < members.Count; i++)
                {
                    if (members[i].Assignment == MemberAssignment.Constructor)
                    {
                        args[members[i].ConstructorParameterIndex] = $"__v{i}";
                    }

                    if (members[i].Assignment == MemberAssignment.Init || members[i].IsRequired)
                    {
                        inits.Add($"{Escape(members[i].Name)} = __v{i}");
                    }
                }

                var initializer = inits.Count == 0 ? string.Empty : $" {{ {string.Join(", ", inits)} }}";
                _w.Line($"var __result = new {T}({string.Join(", ", args)}){initializer};");
                for (var i = 0; i < members.Count; i++)
                {
                    if (members[i].Assignment == MemberAssignment.Set && !members[i].IsRequired)
                    {
                        _w.Line($"__result.{Escape(members[i].Name)} = __v{i};");
                    }
                }
            }

            private void EqualEntry()
            {
                using (_w.Open($"internal static bool Equal({T} left, {T} right)"))
                {
                    if (!_model.IsValueType)
                    {
                        _w.Line("""
                            if (ReferenceEquals(left, right))
                            {
                                return true;
                            }

                            if (left is null || right is null)
                            {
                                return false;
                            }

                            """);
                    }

                    // One term a line: "return a\n    && b\n    && c;".
                    var terms = _model.Members.Select(m => $"{EqualOf(m.Shape)}(left.{Escape(m.Name)}, right.{Escape(m.Name)})").ToList();
                    _w.Line(terms.Count == 0 ? "return true;" : $"return {string.Join("\n    && ", terms)};");
                }

                _w.Line();
            }

            private void EqualBody(TypeShape shape)
            {
                if (shape.IsReferenceType && shape.Kind != ShapeKind.String)
                {
                    _w.Line("""
                        if (a is null || b is null)
                        {
                            return a is null && b is null;
                        }

                        """);
                }

                _w.Line(shape.Kind switch
                {
                    ShapeKind.Single or ShapeKind.Double => "return a.Equals(b); // NaN equals NaN, as it serializes",
                    ShapeKind.String => "return string.Equals(a, b);",
                    ShapeKind.DateTime => "return a.Ticks == b.Ticks && a.Kind == b.Kind;",
                    ShapeKind.DateTimeOffset => "return a.EqualsExact(b);",
                    ShapeKind.ByteArray => "return global::System.MemoryExtensions.SequenceEqual((global::System.ReadOnlySpan<byte>)a, (global::System.ReadOnlySpan<byte>)b);",
                    ShapeKind.Nullable => $"return a.HasValue ? b.HasValue && {EqualOf(shape.Element!)}(a.GetValueOrDefault(), b.GetValueOrDefault()) : !b.HasValue;",
                    ShapeKind.Array => SequenceEqual("Length", shape.Element!),
                    ShapeKind.List => SequenceEqual("Count", shape.Element!),
                    ShapeKind.HashSet => $"return {Merging}.SetEqual(a, b);",
                    ShapeKind.Dictionary => $$"""
                        if (a.Count != b.Count)
                        {
                            return false;
                        }

                        foreach (var pair in a)
                        {
                            if (!b.TryGetValue(pair.Key, out var other) || !{{EqualOf(shape.Element!)}}(pair.Value, other))
                            {
                                return false;
                            }
                        }

                        return true;
                        """,
                    ShapeKind.SessionData => $"return {Merging}.Equal<{shape.CreateName}>(a, b);",
                    _ => "return a == b;",
                });
            }

            private string SequenceEqual(string count, TypeShape element) => $$"""
                if (a.{{count}} != b.{{count}})
                {
                    return false;
                }

                for (var i = 0; i < a.{{count}}; i++)
                {
                    if (!{{EqualOf(element)}}(a[i], b[i]))
                    {
                        return false;
                    }
                }

                return true;
                """;
        }
    }
}
