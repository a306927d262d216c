namespace SessionConnector.Generators.Model;

/// <summary>Everything the emitter needs to implement <c>ISessionData&lt;T&gt;</c> for one type.</summary>
/// <param name="Namespace">The namespace, or empty for the global namespace.</param>
/// <param name="Keyword">The declaration keyword, e.g. <c>class</c>, <c>record struct</c>.</param>
/// <param name="Name">The type's simple name.</param>
/// <param name="FullyQualifiedName">The <c>global::</c>-qualified name.</param>
/// <param name="HintName">The generated file's name.</param>
/// <param name="IsValueType">Whether the type is a struct (never null).</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="Members">The stored members, in declaration order.</param>
/// <param name="Construction">How generated code builds an instance from member values.</param>
internal sealed record SessionTypeModel(
    string Namespace,
    string Keyword,
    string Name,
    string FullyQualifiedName,
    string HintName,
    bool IsValueType,
    EquatableArray<ContainingTypeModel> ContainingTypes,
    EquatableArray<MemberModel> Members,
    ConstructionPlan Construction);
