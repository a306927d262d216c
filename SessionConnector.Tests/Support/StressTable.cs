namespace SessionConnector.Tests.Support;

/// <summary>The tables of a <see cref="StressBoard"/>: one row per key, one column per worker.</summary>
internal enum StressTable
{
    /// <summary>Counter key: updates a worker started (an upper bound on what the store may hold).</summary>
    Attempts,

    /// <summary>Counter key: updates that returned true (what the store must hold at least).</summary>
    Acked,

    /// <summary>Counter key: the highest value a worker's update was acknowledged with (a floor for every later read).</summary>
    AckedMax,

    /// <summary>Lifecycle key: the last generation its owner created (column 0).</summary>
    Generation,

    /// <summary>Lifecycle key: the last generation its owner deleted (column 0): no later read or write may see it.</summary>
    Deleted,

    /// <summary>Lifecycle key: the generation a worker's acknowledged updates were on.</summary>
    AckedGeneration,

    /// <summary>Lifecycle key: how many updates of <see cref="AckedGeneration"/> the worker had acknowledged.</summary>
    AckedOnGeneration,
}
