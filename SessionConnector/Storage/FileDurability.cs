namespace SessionConnector.Storage;

/// <summary>How much a completed file write survives.</summary>
public enum FileDurability
{
    /// <summary>
    /// Survives power loss: the record is fsynced before the rename and the directory after it.
    /// </summary>
    PowerLoss = 0,

    /// <summary>
    /// Survives a process crash, not an OS crash or power loss: writes go through a temp file and an atomic
    /// rename (so a record is always the old or the new one) but are not fsynced. Much faster.
    /// </summary>
    ProcessCrash = 1,
}
