namespace SessionConnector.Generators.Model;

/// <summary>The generator's copy of <c>SessionConnector.SessionMergeStrategy</c> (same values, same order).</summary>
internal enum MergeStrategy
{
    ThreeWay,
    LastWriterWins,
    Union,
    Max,
    Min,
    Sum,
}
