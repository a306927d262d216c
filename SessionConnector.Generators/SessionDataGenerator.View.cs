using System.Collections.Generic;
using SessionConnector.Generators.Model;

namespace SessionConnector.Generators;

public sealed partial class SessionDataGenerator
{
    /// <summary>
    /// Emits, per <c>[SessionData]</c> type, its own file with a nested <c>public readonly struct View</c>: a read-only
    /// property per stored member over the cache's snapshot, for <c>SessionStorageConnector.TryRead</c>. Every member
    /// type maps to something that cannot reach a mutable reference (docs/reading.md has the table): immutable values
    /// as they are, top-level arrays and lists of immutable elements as <c>ReadOnlySpan&lt;T&gt;</c>, other collections
    /// as the runtime's struct views, nested session types as their own <c>View</c>. A member whose type has no such
    /// mapping is left out of the view (a comment in the file names it).
    /// </summary>
    internal static class ViewEmitter
    {
        private const string Reading = "global::SessionConnector.Reading";
        private const string Of = "global::SessionConnector.Generated.SessionViewRuntime.Of";
        private const string Snapshot = "__snapshot";

        public static string HintName(SessionTypeModel model) => SiblingHintName(model, ".View.g.cs");

        public static string Emit(SessionTypeModel model)
        {
            var w = new IndentedWriter();
            var t = model.FullyQualifiedName;
            WriteInType(w, model, "the read-only view", $"{model.Keyword} {Escape(model.Name)}", () =>
            {
                w.Line($"""
                    /// <summary>
                    /// A read-only view of a cached <c>{model.Name}</c> (<c>SessionStorageConnector.TryRead</c>): it reads the
                    /// cache's snapshot without copying it and exposes nothing that can change it. It keeps reading the version
                    /// it was taken from; a later write does not change it.
                    /// </summary>
                    {GeneratedCodeAttribute}
                    """);
                using (w.Open($"public readonly struct View : {Reading}.ISessionDataView<View, {t}>"))
                {
                    w.Line($"""
                        private readonly {t} {Snapshot};

                        private View({t} snapshot) => {Snapshot} = snapshot;

                        static View {Reading}.IReadOnlyView<{t}, View>.Create({t} source) => new View(source);
                        """);
                    foreach (var member in model.Members)
                    {
                        w.Line();
                        if (Property(member) is { } property)
                        {
                            w.Line($"""
                                /// <summary>The stored <c>{member.Name}</c>, read-only.</summary>
                                public {property.Type} {Escape(member.Name)} => {property.Expression};
                                """);
                        }
                        else
                        {
                            w.Line($"// {member.Name}: its type has no read-only view (see docs/reading.md); read it with Get<T>.");
                        }
                    }
                }
            });

            return w.ToString();
        }

        /// <summary>The view property of a member: its type and the expression reading it from the snapshot.</summary>
        private static (string Type, string Expression)? Property(MemberModel member)
        {
            var shape = member.Shape;
            var value = $"{Snapshot}.{Escape(member.Name)}";
            if (shape.IsImmutable)
            {
                return (shape.TypeName, value);
            }

            switch (shape.Kind)
            {
                // Spans, not views, where they can be: indexing and foreach compile to the array access itself.
                case ShapeKind.ByteArray:
                    return ("global::System.ReadOnlySpan<byte>", value);
                case ShapeKind.Array when shape.Element!.IsImmutable:
                    return ($"global::System.ReadOnlySpan<{shape.Element!.TypeName}>", value);
                case ShapeKind.List when shape.Element!.IsImmutable:
                    return ($"global::System.ReadOnlySpan<{shape.Element!.TypeName}>", $"global::System.Runtime.InteropServices.CollectionsMarshal.AsSpan({value})");
                case ShapeKind.SessionData when shape.HasView && IsAnnotated(shape):
                    return ($"{NestedView(shape)}?", $"{value} is {{ }} __value ? {Of}<{shape.CreateName}, {NestedView(shape)}>(__value) : null");
                case ShapeKind.Nullable when shape.Element is { Kind: ShapeKind.SessionData, HasView: true } inner:
                    return ($"{NestedView(inner)}?", $"{value} is {{ }} __value ? {Of}<{inner.CreateName}, {NestedView(inner)}>(__value) : null");
            }

            // A null collection reaches its view, which reads as empty (IsNull tells).
            var forgive = IsAnnotated(shape) ? "!" : string.Empty;
            return ElementView(shape) is { } view ? (view, $"{Of}<{NonNull(shape)}, {view}>({value}{forgive})") : null;
        }

        /// <summary>
        /// The view of a value that sits inside another (so no span: a generic argument cannot be a ref struct on net8.0),
        /// or null when there is none: sets of mutable elements, nullable structs of session types, and nullable-annotated
        /// mutable elements (whose view would have to be nullable too).
        /// </summary>
        private static string? ElementView(TypeShape shape)
        {
            if (shape.IsImmutable)
            {
                return shape.TypeName;
            }

            switch (shape.Kind)
            {
                case ShapeKind.ByteArray:
                    return $"{Reading}.ListView<byte>";
                case ShapeKind.Array or ShapeKind.List:
                    return Collection("ListView", shape.Element!);
                case ShapeKind.Dictionary:
                    return Collection("DictionaryView", shape.Element!);
                case ShapeKind.HashSet when shape.Element!.IsImmutable:
                    return $"{Reading}.SetView<{shape.Element!.TypeName}>";
                case ShapeKind.SessionData when shape.HasView && !IsAnnotated(shape):
                    return NestedView(shape);
                default:
                    return null;
            }
        }

        /// <summary><c>ListView&lt;T&gt;</c> for immutable elements, <c>ListView&lt;T, TView&gt;</c> for the others.</summary>
        private static string? Collection(string name, TypeShape element)
        {
            if (element.IsImmutable)
            {
                return $"{Reading}.{name}<{element.TypeName}>";
            }

            return !IsAnnotated(element) && ElementView(element) is { } view ? $"{Reading}.{name}<{element.TypeName}, {view}>" : null;
        }

        private static string NestedView(TypeShape shape) => shape.CreateName + ".View";

        /// <summary>A reference type declared nullable (<c>Item?</c>, <c>List&lt;int&gt;?</c>).</summary>
        private static bool IsAnnotated(TypeShape shape) => shape.IsReferenceType && shape.TypeName.EndsWith("?", System.StringComparison.Ordinal);

        /// <summary>The declared type without its top-level <c>?</c> (nested annotations stay, so generic arguments match).</summary>
        private static string NonNull(TypeShape shape) => IsAnnotated(shape) ? shape.TypeName.Substring(0, shape.TypeName.Length - 1) : shape.TypeName;
    }
}
