namespace SessionConnector.Generators.Model;

/// <summary>One stored property or field.</summary>
/// <param name="Name">The member's C# name.</param>
/// <param name="Key">The stored key: the name, or the <c>[SessionKey]</c> value.</param>
/// <param name="Shape">How the value is encoded.</param>
/// <param name="Assignment">How a reader puts the value back.</param>
/// <param name="ConstructorParameterIndex">For <see cref="MemberAssignment.Constructor"/>, the parameter position.</param>
/// <param name="IsRequired">A C# <c>required</c> member: every object creation must set it.</param>
/// <param name="Merge">How the member merges when two requests commit at once (<c>[SessionMerge]</c>).</param>
internal sealed record MemberModel(
    string Name,
    string Key,
    TypeShape Shape,
    MemberAssignment Assignment,
    int ConstructorParameterIndex,
    bool IsRequired,
    MergeStrategy Merge = MergeStrategy.ThreeWay);
