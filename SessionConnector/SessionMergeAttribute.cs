using System;

namespace SessionConnector;

/// <summary>
/// Chooses how a member merges when two requests commit the same session at once (default
/// <see cref="SessionMergeStrategy.ThreeWay"/>). The generator reports SCG020–SCG023 when the strategy does not fit
/// the member's type.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
public sealed class SessionMergeAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="strategy">The member's merge strategy.</param>
    public SessionMergeAttribute(SessionMergeStrategy strategy) => Strategy = strategy;

    /// <summary>The member's merge strategy.</summary>
    public SessionMergeStrategy Strategy { get; }
}
