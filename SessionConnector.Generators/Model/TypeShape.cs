namespace SessionConnector.Generators.Model;

/// <summary>
/// The encoding-relevant description of a member type.
/// </summary>
/// <param name="Kind">The encoding.</param>
/// <param name="TypeName">The type as declared, <c>global::</c>-qualified, with nullable annotations.</param>
/// <param name="CreateName">The type without nullable reference annotations (usable after <c>new</c> and as a codec type argument).</param>
/// <param name="IsReferenceType">Whether the value can be null without <see cref="System.Nullable{T}"/>.</param>
/// <param name="Element">Element (arrays, lists, sets), value (dictionaries) or inner (Nullable) shape.</param>
/// <param name="EnumUnderlying">For enums, the underlying integer kind.</param>
/// <param name="HasView">For nested session types, whether the generator gives it a read-only <c>View</c> (it carries [SessionData]).</param>
internal sealed record TypeShape(
    ShapeKind Kind,
    string TypeName,
    string CreateName,
    bool IsReferenceType,
    TypeShape? Element,
    ShapeKind EnumUnderlying,
    bool HasView = false)
{
    /// <summary>
    /// True when a value of this shape can be shared instead of copied (scalars, strings, enums and their
    /// Nullable forms): the deep copy assigns it and a view hands it out as is.
    /// </summary>
    public bool IsImmutable => Kind switch
    {
        ShapeKind.ByteArray or ShapeKind.Array or ShapeKind.List or ShapeKind.HashSet or ShapeKind.Dictionary or ShapeKind.SessionData => false,
        ShapeKind.Nullable => Element!.IsImmutable,
        _ => true,
    };
}
