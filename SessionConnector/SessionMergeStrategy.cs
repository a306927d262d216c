namespace SessionConnector;

/// <summary>
/// How a member of a <c>[SessionData]</c> type merges when two requests changed the same session at once (see
/// <see cref="SessionMergeAttribute"/>). Every strategy keeps a change made by only one side; they differ in what
/// happens when both sides changed the member.
/// </summary>
public enum SessionMergeStrategy
{
    /// <summary>
    /// The default. Changed by one side: that side's value. By both to equal values: that value. By both to different
    /// values: a conflict naming the member. <c>HashSet&lt;T&gt;</c> merges per element (adds and removes of both
    /// sides survive) and <c>Dictionary&lt;string, T&gt;</c> per key; nested <c>[SessionData]</c> types merge member
    /// by member; lists and arrays are whole values.
    /// </summary>
    ThreeWay,

    /// <summary>This request's change wins over the other's; never a conflict.</summary>
    LastWriterWins,

    /// <summary>For <c>HashSet&lt;T&gt;</c>: when both sides changed the set, the union of both (an element one side removed survives if the other still has it).</summary>
    Union,

    /// <summary>For ordered values (numbers, enums, dates, times): the greater of both changes, e.g. a high score or a level.</summary>
    Max,

    /// <summary>For ordered values (numbers, enums, dates, times): the smaller of both changes, e.g. a first-seen time.</summary>
    Min,

    /// <summary>
    /// For numeric counters (integers, floating point, decimal, <c>TimeSpan</c>): theirs + (mine − base), so
    /// concurrent increments add up and none is lost. Integers wrap on overflow, as <c>unchecked</c> arithmetic.
    /// </summary>
    Sum,
}
