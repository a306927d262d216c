using System;

namespace SessionConnector.Serialization;

/// <summary>
/// A trimming feature switch for the JSON format. Apps that only use MessagePack can drop the JSON reader/writer
/// (System.Text.Json's and every generated one, ~70 KB of a NativeAOT binary) with
/// <c>&lt;RuntimeHostConfigurationOption Include="SessionConnector.JsonFormat.IsSupported" Value="false" Trim="true" /&gt;</c>.
/// With it off, choosing <see cref="SessionFormat.Json"/> throws and stored JSON records read as absent.
/// </summary>
internal static class JsonFormatFeature
{
    public const string SwitchName = "SessionConnector.JsonFormat.IsSupported";

#if NET9_0_OR_GREATER
    [System.Diagnostics.CodeAnalysis.FeatureSwitchDefinition(SwitchName)]
#endif
    public static bool IsSupported => !AppContext.TryGetSwitch(SwitchName, out bool enabled) || enabled;
}
