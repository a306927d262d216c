namespace SessionConnector.Generators.Model;

/// <summary>One stored property or field.</summary>
/// <param name="Name">The member's C# name.</param>
/// <param name="Key">The stored key: the name, or the <c>[SessionKey]</c> value.</param>
/// <param name="Shape">How the value is encoded.</param>
/// <param name="Merge">How the member merges when two requests commit at once (<c>[SessionMerge]</c>).</param>
/// <remarks>How a value reaches the member (constructor, initializer, setter) is the type's <see cref="ConstructionPlan"/>.</remarks>
internal sealed record MemberModel(
    string Name,
    string Key,
    TypeShape Shape,
    MergeStrategy Merge = MergeStrategy.ThreeWay);
