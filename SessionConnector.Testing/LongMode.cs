using System;

namespace SessionConnector.Testing;

/// <summary>
/// SESSIONCONNECTOR_LONG=1 turns the reliability tests' counts up to their long-mode figures
/// (see the README's reliability section). The default run keeps the suite fast.
/// </summary>
public static class LongMode
{
    public static bool Enabled => Environment.GetEnvironmentVariable("SESSIONCONNECTOR_LONG") == "1";

    public static int Pick(int normal, int @long) => Enabled ? @long : normal;
}
