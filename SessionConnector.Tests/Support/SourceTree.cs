using System;
using System.IO;
using System.Linq;
using System.Reflection;

namespace SessionConnector.Tests.Support;

/// <summary>Where this test project's committed files (baselines, interop fixtures) live in the checkout.</summary>
/// <remarks>
/// The directory is stamped into the assembly at build time (<c>AssemblyMetadata "SourceDirectory"</c> in the project
/// file). <c>[CallerFilePath]</c> can't be used for this: CI builds set <c>ContinuousIntegrationBuild</c>, which maps
/// source paths to <c>/_/…</c> so binaries are reproducible, and the recorded path then names no real directory.
/// </remarks>
internal static class SourceTree
{
    private static readonly string Root = typeof(SourceTree).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SourceDirectory").Value
        ?? throw new InvalidOperationException("The test assembly has no SourceDirectory metadata.");

    /// <summary>A path under the test project's directory, e.g. <c>Path("Interop", "fixtures", "x.bin")</c>.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
