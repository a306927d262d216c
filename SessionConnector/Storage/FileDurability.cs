namespace SessionConnector.Storage;

/// <summary>How much a completed file write survives.</summary>
public enum FileDurability
{
    /// <summary>
    /// Survives power loss: an update's slot is flushed (<c>fdatasync</c>) before the write returns; a new record is
    /// fsynced before its rename and the directory after it; a delete fsyncs the directory.
    /// </summary>
    PowerLoss = 0,

    /// <summary>
    /// Survives a process crash, not an OS crash or power loss: an update writes the record file's other slot and a new
    /// record goes through a temp file and an atomic rename (so a record is always the old or the new one), but nothing
    /// is flushed. Faster.
    /// </summary>
    ProcessCrash = 1,
}
