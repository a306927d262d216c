using Xunit;

namespace SessionConnector.Tests.Support;

/// <summary>A test that runs only in the long reliability mode (SESSIONCONNECTOR_LONG=1) and is reported as skipped otherwise.</summary>
public sealed class LongFactAttribute : FactAttribute
{
    public LongFactAttribute()
    {
        if (!LongMode.Enabled) Skip = "long mode only (SESSIONCONNECTOR_LONG=1)";
    }
}
