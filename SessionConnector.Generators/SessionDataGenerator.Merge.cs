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
    /// (<c>ISessionData&lt;T&gt;.Merge</c> / <c>ValueEquals</c>). Each member is one call: its codec compares
    /// (<c>ISessionCodec&lt;T&gt;.Equal</c>) and a shared step of <c>global::SessionConnector.Generated.SessionMerging</c>
    /// merges, so the file holds only the member list and the construction. No reflection, no boxing.
    /// </summary>
    internal static class MergeEmitter
    {
        private const string Merging = "global::SessionConnector.Generated.SessionMerging";
        private const string Context = "global::SessionConnector.SessionMergeContext";

        public static string HintName(SessionTypeModel model) => SiblingHintName(model, ".Merge.g.cs");

        public static string Emit(SessionTypeModel model)
        {
            var w = new IndentedWriter();
            WriteInType(w, model, "merging", $"{model.Keyword} {Escape(model.Name)}", () =>
            {
                ValueEquals(w, model);
                w.Line();
                Merge(w, model);
            });

            return w.ToString();
        }

        private static void ValueEquals(IndentedWriter w, SessionTypeModel model)
        {
            var t = model.FullyQualifiedName;
            using (w.Open($"static bool global::SessionConnector.ISessionData<{t}>.ValueEquals({t} left, {t} right)"))
            {
                if (!model.IsValueType)
                {
                    w.Line("""
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
                var terms = model.Members.Select(m =>
                {
                    var (name, forgive) = (Escape(m.Name), Emitter.Forgive(m.Shape));
                    return $"{Emitter.Codec(m.Shape)}.Equal(left.{name}{forgive}, right.{name}{forgive})";
                }).ToList();
                w.Line(terms.Count == 0 ? "return true;" : $"return {string.Join("\n    && ", terms)};");
            }
        }

        private static void Merge(IndentedWriter w, SessionTypeModel model)
        {
            var t = model.FullyQualifiedName;
            using (w.Open($"static {t} global::SessionConnector.ISessionData<{t}>.Merge({t} @base, {t} mine, {t} theirs, {Context} context)"))
            {
                if (!model.IsValueType)
                {
                    w.Line($$"""
                        if (@base is null || mine is null || theirs is null)
                        {
                            return {{Merging}}.MergeWhole<{{t}}>(@base, mine, theirs, context)!;
                        }

                        """);
                }

                // Merged in member order, so conflicts are reported (and resolvers asked) in that order.
                for (var i = 0; i < model.Members.Count; i++)
                {
                    w.Line($"var __v{i} = {MergeExpression(model.Members[i])};");
                }

                // Steps return the codec's type (no nullable annotations); `!` hands it to the declared one.
                Construction.Write(w, model, _ => null, i => $"__v{i}{Emitter.Forgive(model.Members[i].Shape)}");
                w.Line("return __result;");
            }
        }

        /// <summary>The runtime step that merges one member, by its strategy and shape.</summary>
        private static string MergeExpression(MemberModel member)
        {
            var shape = member.Shape;
            var name = Escape(member.Name);
            var forgive = Emitter.Forgive(shape);
            var (b, m, t) = ($"@base.{name}{forgive}", $"mine.{name}{forgive}", $"theirs.{name}{forgive}");
            var codec = Emitter.Codec(shape);
            var label = Literal(member.Name);
            return member.Merge switch
            {
                MergeStrategy.LastWriterWins => $"{Merging}.LastWriterWins<{shape.CreateName}, {codec}>({b}, {m}, {t})",
                MergeStrategy.Union => $"{Merging}.MergeSet({b}, {m}, {t}, context, {label}, union: true)!",

                // The comparison stays here: the type's own operator (an enum's, a DateTimeOffset's, NaN's rules).
                MergeStrategy.Max => $"{Merging}.MergeOrdered<{shape.CreateName}, {codec}>({b}, {m}, {t}, {m} > {t})",
                MergeStrategy.Min => $"{Merging}.MergeOrdered<{shape.CreateName}, {codec}>({b}, {m}, {t}, {m} < {t})",

                // Concurrent increments commute: theirs already holds the other request's delta, add ours.
                MergeStrategy.Sum => $"unchecked(({shape.TypeName})({t} + ({m} - {b})))",
                _ => shape.Kind switch
                {
                    ShapeKind.HashSet => $"{Merging}.MergeSet({b}, {m}, {t}, context, {label}, union: false)!",
                    ShapeKind.Dictionary => $"{Merging}.MergeDictionary<{shape.Element!.CreateName}, {Emitter.Codec(shape.Element!)}>({b}, {m}, {t}, context, {label})!",
                    ShapeKind.SessionData => $"{Merging}.MergeNested<{shape.CreateName}>({b}, {m}, {t}, context, {label})!",
                    _ => $"{Merging}.Merge<{shape.CreateName}, {codec}>({b}, {m}, {t}, context, {label})",
                },
            };
        }
    }
}
