using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SessionConnector.Generators.Model;

namespace SessionConnector.Generators;

public sealed partial class SessionDataGenerator
{
    /// <summary>Turns symbols into the equatable model. Nothing symbol-shaped escapes this class.</summary>
    internal static class Parser
    {
        private const string SessionKeyAttributeName = "SessionConnector.SessionKeyAttribute";
        private const string SessionIgnoreAttributeName = "SessionConnector.SessionIgnoreAttribute";
        private const string SessionDataInterfaceName = "SessionConnector.ISessionData`1";

        /// <summary>Fully qualified, keywords escaped, nullable annotations kept (so the emitted code matches the declarations).</summary>
        private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .WithMiscellaneousOptions(
                SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers |
                SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>
        /// As <see cref="TypeFormat"/> without nullable reference annotations at any depth: usable after <c>new</c> and
        /// as a codec's type argument (codecs handle null themselves).
        /// </summary>
        private static readonly SymbolDisplayFormat CreateFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var type = (INamedTypeSymbol)context.TargetSymbol;
            var syntax = (TypeDeclarationSyntax)context.TargetNode;
            var location = syntax.Identifier.GetLocation();
            var diagnostics = new List<DiagnosticInfo>();
            var displayName = type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);

            if (IsGenericOrInGeneric(type))
            {
                return Fail(DiagnosticInfo.Create(DiagnosticDescriptors.GenericType, location, displayName));
            }

            if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return Fail(DiagnosticInfo.Create(DiagnosticDescriptors.TypeNotPartial, location, displayName));
            }

            var containing = new List<ContainingTypeModel>();
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                if (!IsPartial(outer, cancellationToken))
                {
                    return Fail(DiagnosticInfo.Create(
                        DiagnosticDescriptors.ContainingTypeNotPartial,
                        location,
                        displayName,
                        outer.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)));
                }

                containing.Insert(0, new ContainingTypeModel(Keyword(outer), outer.Name));
            }

            var candidates = CollectCandidates(type);
            cancellationToken.ThrowIfCancellationRequested();

            // Pick the constructor readers call; members it takes are bound to its parameters.
            var constructor = ChooseConstructor(type, candidates, out var usable);
            if (!usable)
            {
                return Fail(DiagnosticInfo.Create(DiagnosticDescriptors.NoUsableConstructor, location, displayName));
            }

            var ctorParameters = new List<ConstructorParameterModel>();
            var boundParameters = new Dictionary<string, int>(StringComparer.Ordinal);
            if (constructor is not null)
            {
                for (var i = 0; i < constructor.Parameters.Length; i++)
                {
                    var parameter = constructor.Parameters[i];
                    var member = candidates.First(c => MatchesParameter(c, parameter));
                    boundParameters[member.Symbol.Name] = i;
                    ctorParameters.Add(new ConstructorParameterModel(parameter.Name, DefaultValueExpression(parameter), -1));
                }
            }

            var members = new List<MemberModel>();
            var initialized = new List<int>();
            var required = new List<int>();
            var assigned = new List<int>();
            var keys = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var candidate in candidates)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var symbol = candidate.Symbol;
                MemberAssignment assignment;
                var parameterIndex = -1;
                if (boundParameters.TryGetValue(symbol.Name, out var index))
                {
                    assignment = MemberAssignment.Constructor;
                    parameterIndex = index;
                }
                else if (candidate.Assignment is { } settable)
                {
                    assignment = settable;
                }
                else
                {
                    // Get-only and not a constructor parameter. Computed properties have nothing to restore; a
                    // get-only auto-property or readonly field holds state that would silently not be stored.
                    if (IsStoredButReadOnly(symbol, cancellationToken))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.ReadOnlyMemberNotStored,
                            symbol.Locations.FirstOrDefault(l => l.IsInSource) ?? location,
                            symbol.Name,
                            displayName));
                    }

                    continue;
                }

                var memberLocation = symbol.Locations.FirstOrDefault(l => l.IsInSource) ?? location;
                var key = KeyOf(symbol, constructor, out var hasKeyAttribute) ?? symbol.Name;
                if (hasKeyAttribute && key.Length == 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidKey, memberLocation, symbol.Name, displayName));
                    continue;
                }

                if (keys.TryGetValue(key, out var other))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateKey, memberLocation, other, symbol.Name, displayName, key));
                    continue;
                }

                keys.Add(key, symbol.Name);

                var shape = Resolve(candidate.Type, out var offending);
                if (shape is null)
                {
                    var typeDisplay = candidate.Type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
                    if (offending is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named &&
                        named.Locations.Any(l => l.IsInSource))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.MemberTypeNotSessionData,
                            memberLocation,
                            symbol.Name,
                            displayName,
                            named.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)));
                    }
                    else
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedMemberType, memberLocation, symbol.Name, displayName, typeDisplay));
                    }

                    continue;
                }

                var isRequired = symbol is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true };
                var merge = MergeParser.StrategyOf(symbol, constructor, shape, memberLocation, displayName, diagnostics);
                var memberIndex = members.Count;
                members.Add(new MemberModel(symbol.Name, key, shape, merge));
                if (assignment == MemberAssignment.Constructor)
                {
                    ctorParameters[parameterIndex] = ctorParameters[parameterIndex] with { Member = memberIndex };
                }

                // A required member must be named in every object creation, even when the constructor takes it.
                if (isRequired)
                {
                    required.Add(memberIndex);
                }

                if (assignment == MemberAssignment.Init || isRequired)
                {
                    initialized.Add(memberIndex);
                }
                else if (assignment == MemberAssignment.Set)
                {
                    assigned.Add(memberIndex);
                }
            }

            if (diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error))
            {
                return new ParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
            }

            var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
            var fullName = type.ToDisplayString(TypeFormat);
            var hint = fullName.Replace("global::", string.Empty).Replace('@', '_') + ".SessionData.g.cs";

            var model = new SessionTypeModel(
                ns,
                Keyword(type),
                type.Name,
                fullName,
                hint,
                type.IsValueType,
                new EquatableArray<ContainingTypeModel>(containing.ToArray()),
                new EquatableArray<MemberModel>(members.ToArray()),
                new ConstructionPlan(
                    new EquatableArray<ConstructorParameterModel>(ctorParameters.ToArray()),
                    new EquatableArray<int>(initialized.ToArray()),
                    new EquatableArray<int>(required.ToArray()),
                    new EquatableArray<int>(assigned.ToArray())));
            return new ParseResult(model, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
        }

        /// <summary>A get-only auto-property (no accessor bodies) or a readonly field declared in source.</summary>
        private static bool IsStoredButReadOnly(ISymbol symbol, CancellationToken cancellationToken)
        {
            if (symbol is IFieldSymbol { IsReadOnly: true })
            {
                return true;
            }

            foreach (var reference in symbol.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is PropertyDeclarationSyntax { ExpressionBody: null, AccessorList: { } accessors } &&
                    accessors.Accessors.All(a => a.Body is null && a.ExpressionBody is null))
                {
                    return true;
                }
            }

            return false;
        }

        private static ParseResult Fail(DiagnosticInfo diagnostic)
            => new(null, new EquatableArray<DiagnosticInfo>(new[] { diagnostic }));

        private static bool IsGenericOrInGeneric(INamedTypeSymbol type)
        {
            for (var t = type; t is not null; t = t.ContainingType)
            {
                if (t.IsGenericType)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration &&
                    declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    return true;
                }
            }

            return false;
        }

        private static string Keyword(INamedTypeSymbol type)
        {
            if (type.TypeKind == TypeKind.Interface)
            {
                return "partial interface";
            }

            var readOnly = type.IsValueType && type.IsReadOnly ? "readonly " : string.Empty;
            if (type.IsRecord)
            {
                return type.IsValueType ? readOnly + "partial record struct" : "partial record";
            }

            return type.IsValueType ? readOnly + "partial struct" : "partial class";
        }

        private sealed class Candidate
        {
            public Candidate(ISymbol symbol, ITypeSymbol type, MemberAssignment? assignment)
            {
                Symbol = symbol;
                Type = type;
                Assignment = assignment;
            }

            public ISymbol Symbol { get; }

            public ITypeSymbol Type { get; }

            /// <summary>Null when the member has no accessible setter (it can only be a constructor parameter).</summary>
            public MemberAssignment? Assignment { get; }
        }

        /// <summary>Public instance properties and fields, most-derived first, each name once.</summary>
        private static List<Candidate> CollectCandidates(INamedTypeSymbol type)
        {
            var result = new List<Candidate>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var chain = new List<INamedTypeSymbol>();
            for (var t = type; t is not null && t.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); t = t.BaseType)
            {
                chain.Add(t);
            }

            foreach (var t in chain)
            {
                foreach (var member in t.GetMembers())
                {
                    if (member.IsStatic || member.IsImplicitlyDeclared || member.DeclaredAccessibility != Accessibility.Public || !seen.Add(member.Name))
                    {
                        continue;
                    }

                    if (HasAttribute(member, SessionIgnoreAttributeName))
                    {
                        continue;
                    }

                    switch (member)
                    {
                        case IPropertySymbol { IsIndexer: false, ReturnsByRef: false, ReturnsByRefReadonly: false } property
                            when property.GetMethod is { DeclaredAccessibility: Accessibility.Public }:
                        {
                            // required members must appear in every object initializer, settable or not.
                            MemberAssignment? assignment = property.SetMethod is { DeclaredAccessibility: Accessibility.Public } setter
                                ? (setter.IsInitOnly || property.IsRequired ? MemberAssignment.Init : MemberAssignment.Set)
                                : null;
                            result.Add(new Candidate(property, property.Type, assignment));
                            break;
                        }

                        case IFieldSymbol { IsConst: false } field:
                            result.Add(new Candidate(field, field.Type, field.IsReadOnly ? null : field.IsRequired ? MemberAssignment.Init : MemberAssignment.Set));
                            break;
                    }
                }
            }

            // Declaration order reads best in the payload; base members first like the C# layout.
            result.Sort((a, b) => Order(a.Symbol, chain).CompareTo(Order(b.Symbol, chain)));
            return result;
        }

        private static (int Depth, int Position) Order(ISymbol symbol, List<INamedTypeSymbol> chain)
        {
            var depth = -chain.FindIndex(t => SymbolEqualityComparer.Default.Equals(t, symbol.ContainingType));
            var location = symbol.Locations.FirstOrDefault();
            return (depth, location is { IsInSource: true } ? location.SourceSpan.Start : 0);
        }

        private static IMethodSymbol? ChooseConstructor(INamedTypeSymbol type, List<Candidate> candidates, out bool usable)
        {
            usable = true;
            if (type.IsValueType)
            {
                // Structs always have the parameterless constructor (positional record structs use init accessors);
                // a constructor is only needed to restore get-only members.
                if (candidates.All(c => c.Assignment is not null))
                {
                    return null;
                }

                return type.InstanceConstructors
                    .Where(c => c.Parameters.Length > 0 && c.Parameters.All(p => candidates.Any(m => MatchesParameter(m, p))))
                    .OrderByDescending(c => c.Parameters.Length)
                    .FirstOrDefault();
            }

            if (type.IsAbstract)
            {
                usable = false;
                return null;
            }

            var constructors = type.InstanceConstructors
                .Where(c => !IsCopyConstructor(type, c))
                .ToList();
            if (constructors.Any(c => c.Parameters.Length == 0))
            {
                return null;
            }

            var matching = constructors
                .Where(c => c.Parameters.All(p => candidates.Any(m => MatchesParameter(m, p))))
                .ToList();
            var primary = matching.FirstOrDefault(c => c.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax));
            var chosen = primary ?? matching.OrderByDescending(c => c.Parameters.Length).FirstOrDefault();
            usable = chosen is not null;
            return chosen;
        }

        private static bool IsCopyConstructor(INamedTypeSymbol type, IMethodSymbol constructor)
            => type.IsRecord && constructor.Parameters.Length == 1 &&
               SymbolEqualityComparer.Default.Equals(constructor.Parameters[0].Type, type);

        private static bool MatchesParameter(Candidate member, IParameterSymbol parameter)
            => string.Equals(member.Symbol.Name, parameter.Name, StringComparison.OrdinalIgnoreCase) &&
               SymbolEqualityComparer.Default.Equals(member.Type, parameter.Type) &&
               parameter.RefKind == RefKind.None;

        private static string? KeyOf(ISymbol member, IMethodSymbol? constructor, out bool hasAttribute)
        {
            var attribute = member.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == SessionKeyAttributeName);
            if (attribute is null && constructor is not null)
            {
                // Record primary constructors: [SessionKey("k")] written on the parameter.
                var parameter = constructor.Parameters.FirstOrDefault(p => string.Equals(p.Name, member.Name, StringComparison.OrdinalIgnoreCase));
                attribute = parameter?.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == SessionKeyAttributeName);
            }

            hasAttribute = attribute is not null;
            if (attribute is { ConstructorArguments.Length: 1 } && attribute.ConstructorArguments[0].Value is var value)
            {
                return value as string ?? string.Empty;
            }

            return hasAttribute ? string.Empty : null;
        }

        private static bool HasAttribute(ISymbol symbol, string fullName)
            => symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == fullName);

        private static string DefaultValueExpression(IParameterSymbol parameter)
        {
            if (!parameter.HasExplicitDefaultValue || parameter.ExplicitDefaultValue is null)
            {
                return "default!";
            }

            var typeName = parameter.Type.ToDisplayString(TypeFormat);
            var value = parameter.ExplicitDefaultValue;
            var literal = value switch
            {
                string s => SymbolDisplay.FormatLiteral(s, quote: true),
                char c => SymbolDisplay.FormatLiteral(c, quote: true),
                bool b => b ? "true" : "false",
                float f => f.ToString("R", CultureInfo.InvariantCulture) + "F",
                double d => d.ToString("R", CultureInfo.InvariantCulture) + "D",
                decimal m => m.ToString(CultureInfo.InvariantCulture) + "M",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => null,
            };
            return literal is null ? "default!" : "(" + typeName + ")(" + literal + ")";
        }

        /// <summary>
        /// Maps a member type to its encoding, or returns null with the type that has no encoding
        /// (for <c>List&lt;Foo&gt;</c> that is <c>Foo</c>).
        /// </summary>
        private static TypeShape? Resolve(ITypeSymbol type, out ITypeSymbol? offending)
        {
            offending = null;
            var typeName = type.ToDisplayString(TypeFormat);
            var createName = type.ToDisplayString(CreateFormat);

            TypeShape Simple(ShapeKind kind) => new(kind, typeName, createName, type.IsReferenceType, null, default);

            var special = SpecialKind(type.SpecialType);
            if (special is { } kind)
            {
                return Simple(kind);
            }

            if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying } &&
                SpecialKind(underlying.SpecialType) is { } underlyingKind)
            {
                return new TypeShape(ShapeKind.Enum, typeName, createName, false, null, underlyingKind);
            }

            if (type is IArrayTypeSymbol { Rank: 1 } array)
            {
                if (array.ElementType.SpecialType == SpecialType.System_Byte)
                {
                    return Simple(ShapeKind.ByteArray);
                }

                var element = Resolve(array.ElementType, out offending);
                return element is null ? null : new TypeShape(ShapeKind.Array, typeName, createName, true, element, default);
            }

            if (type is INamedTypeSymbol named)
            {
                var metadataName = named.IsGenericType
                    ? named.ConstructedFrom.ContainingNamespace.ToDisplayString() + "." + named.ConstructedFrom.MetadataName
                    : named.ContainingNamespace?.ToDisplayString() + "." + named.MetadataName;

                switch (metadataName)
                {
                    case "System.Guid": return Simple(ShapeKind.Guid);
                    case "System.DateTimeOffset": return Simple(ShapeKind.DateTimeOffset);
                    case "System.TimeSpan": return Simple(ShapeKind.TimeSpan);
                    case "System.DateOnly": return Simple(ShapeKind.DateOnly);
                    case "System.TimeOnly": return Simple(ShapeKind.TimeOnly);
                    case "System.Nullable`1":
                    case "System.Collections.Generic.List`1":
                    case "System.Collections.Generic.HashSet`1":
                    {
                        var element = Resolve(named.TypeArguments[0], out offending);
                        if (element is null)
                        {
                            return null;
                        }

                        var kind2 = metadataName switch
                        {
                            "System.Nullable`1" => ShapeKind.Nullable,
                            "System.Collections.Generic.List`1" => ShapeKind.List,
                            _ => ShapeKind.HashSet,
                        };
                        return new TypeShape(kind2, typeName, createName, type.IsReferenceType, element, default);
                    }

                    case "System.Collections.Generic.Dictionary`2"
                        when named.TypeArguments[0].SpecialType == SpecialType.System_String:
                    {
                        var value = Resolve(named.TypeArguments[1], out offending);
                        return value is null ? null : new TypeShape(ShapeKind.Dictionary, typeName, createName, true, value, default);
                    }
                }

                if (!named.IsGenericType && IsSessionData(named))
                {
                    // Hand-written ISessionData types (SessionBag) have no generated View.
                    return Simple(ShapeKind.SessionData) with { HasView = HasAttribute(named, SessionDataAttributeName) };
                }
            }

            offending = type;
            return null;
        }

        private static bool IsSessionData(INamedTypeSymbol type)
        {
            if (HasAttribute(type, SessionDataAttributeName))
            {
                return true;
            }

            // Hand-written implementations (e.g. the runtime's SessionBag) work too.
            return type.AllInterfaces.Any(i =>
                i.OriginalDefinition.ContainingNamespace?.ToDisplayString() + "." + i.OriginalDefinition.MetadataName == SessionDataInterfaceName &&
                SymbolEqualityComparer.Default.Equals(i.TypeArguments[0], type));
        }

        private static ShapeKind? SpecialKind(SpecialType specialType) => specialType switch
        {
            SpecialType.System_Boolean => ShapeKind.Boolean,
            SpecialType.System_SByte => ShapeKind.SByte,
            SpecialType.System_Byte => ShapeKind.Byte,
            SpecialType.System_Int16 => ShapeKind.Int16,
            SpecialType.System_UInt16 => ShapeKind.UInt16,
            SpecialType.System_Int32 => ShapeKind.Int32,
            SpecialType.System_UInt32 => ShapeKind.UInt32,
            SpecialType.System_Int64 => ShapeKind.Int64,
            SpecialType.System_UInt64 => ShapeKind.UInt64,
            SpecialType.System_Single => ShapeKind.Single,
            SpecialType.System_Double => ShapeKind.Double,
            SpecialType.System_Decimal => ShapeKind.Decimal,
            SpecialType.System_Char => ShapeKind.Char,
            SpecialType.System_String => ShapeKind.String,
            SpecialType.System_DateTime => ShapeKind.DateTime,
            _ => null,
        };
    }
}
