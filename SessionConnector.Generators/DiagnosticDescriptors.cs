using Microsoft.CodeAnalysis;

namespace SessionConnector.Generators;

/// <summary>Every diagnostic the generator reports. IDs are stable; track changes in AnalyzerReleases.*.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "SessionConnector";

    internal const string SupportedTypes =
        "bool, sbyte, byte, short, ushort, int, uint, long, ulong, float, double, decimal, char, string, enums, Guid, " +
        "DateTime, DateTimeOffset, TimeSpan, DateOnly, TimeOnly, byte[], Nullable<T>, T[], List<T>, HashSet<T>, " +
        "Dictionary<string, T> and [SessionData] types";

    public static readonly DiagnosticDescriptor TypeNotPartial = new(
        id: "SCG001",
        title: "[SessionData] type must be partial",
        messageFormat: "The [SessionData] type '{0}' is not partial; add the 'partial' modifier so the generator can implement ISessionData<{0}>",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedMemberType = new(
        id: "SCG002",
        title: "Member type cannot be stored in a session",
        messageFormat: "Member '{0}' of '{1}' has type '{2}', which [SessionData] cannot store; change it to a supported type (" + SupportedTypes + ") or mark it [SessionIgnore]",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MemberTypeNotSessionData = new(
        id: "SCG003",
        title: "Member type is not a [SessionData] type",
        messageFormat: "Member '{0}' of '{1}' uses type '{2}', which is not marked [SessionData]; add [SessionData] and 'partial' to '{2}', or mark the member [SessionIgnore]",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateKey = new(
        id: "SCG004",
        title: "Two members are stored under the same key",
        messageFormat: "Members '{0}' and '{1}' of '{2}' are both stored under the key '{3}'; give one of them a different [SessionKey]",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NoUsableConstructor = new(
        id: "SCG005",
        title: "[SessionData] type has no usable constructor",
        messageFormat: "The [SessionData] type '{0}' has no usable constructor; add an accessible parameterless constructor, or one whose parameters match stored member names, and make the type non-abstract",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor GenericType = new(
        id: "SCG006",
        title: "[SessionData] type cannot be generic",
        messageFormat: "The [SessionData] type '{0}' is generic or nested in a generic type; declare a non-generic partial type for each payload instead",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = new(
        id: "SCG007",
        title: "Type containing a [SessionData] type must be partial",
        messageFormat: "The [SessionData] type '{0}' is nested in '{1}', which is not partial; add the 'partial' modifier to '{1}'",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidKey = new(
        id: "SCG008",
        title: "[SessionKey] key is empty",
        messageFormat: "Member '{0}' of '{1}' has an empty [SessionKey]; pass a non-empty key, or remove the attribute to use the member name",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ReadOnlyMemberNotStored = new(
        id: "SCG009",
        title: "Read-only member is not stored",
        messageFormat: "Member '{0}' of '{1}' is read-only and no constructor parameter matches it, so it is not stored; add a 'set' or 'init' accessor, a matching constructor parameter, or mark it [SessionIgnore]",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    // SCG020–SCG029: [SessionMerge] strategies.
    public static readonly DiagnosticDescriptor UnionNeedsSet = new(
        id: "SCG020",
        title: "Union merge needs a set",
        messageFormat: "Member '{0}' of '{1}' has type '{2}' and [SessionMerge(SessionMergeStrategy.Union)]; Union applies to HashSet<T> only: change the type or use ThreeWay or LastWriterWins",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MaxMinNeedsOrderedType = new(
        id: "SCG021",
        title: "Max/Min merge needs an ordered type",
        messageFormat: "Member '{0}' of '{1}' has type '{2}' and [SessionMerge(SessionMergeStrategy.{3})]; Max and Min apply to numbers, char, enums, DateTime, DateTimeOffset, TimeSpan, DateOnly and TimeOnly: change the type or use ThreeWay or LastWriterWins",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor SumNeedsNumber = new(
        id: "SCG022",
        title: "Sum merge needs a numeric type",
        messageFormat: "Member '{0}' of '{1}' has type '{2}' and [SessionMerge(SessionMergeStrategy.Sum)]; Sum applies to integers, float, double, decimal and TimeSpan: change the type or use ThreeWay, Max or LastWriterWins",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnknownMergeStrategy = new(
        id: "SCG023",
        title: "Unknown merge strategy",
        messageFormat: "Member '{0}' of '{1}' has [SessionMerge] with the value {2}, which is not a SessionMergeStrategy; use one of ThreeWay, LastWriterWins, Union, Max, Min, Sum",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    // SCG030–SCG039: how other generators see [SessionData] types.
    public static readonly DiagnosticDescriptor HandlerReturnTypeHiddenFromRdg = new(
        id: "SCG030",
        title: "Route handler's return type is invisible to the request delegate generator",
        messageFormat: "ASP.NET Core's request delegate generator infers this handler's return type as '{0}', not '{1}', because it compiles without the members the [SessionData] generator adds; under NativeAOT the result would be discarded and the response an empty 200: declare the return type on the lambda ('async {1} (HttpContext http) =>') or pass a method",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true);
}
