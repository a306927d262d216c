namespace SessionConnector.Storage;

public abstract partial class SessionStorage
{
    /// <summary>
    /// Where this backend keeps its records (a directory, a server and key prefix), or null when that cannot be told
    /// apart. <see cref="Sessions.Configure"/> compares it, so configuring the process-wide connector a second time with a
    /// store somewhere else throws instead of being silently ignored.
    /// </summary>
    public virtual string? Location => null;
}
