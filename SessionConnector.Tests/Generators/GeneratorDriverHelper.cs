using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SessionConnector.Generators;
using Xunit;

namespace SessionConnector.Tests.Generators;

/// <summary>Runs <see cref="SessionDataGenerator"/> through <see cref="CSharpGeneratorDriver"/> on in-memory sources.</summary>
internal static class GeneratorDriverHelper
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .ToList();
        paths.Add(typeof(ISessionData<>).Assembly.Location);
        paths.Add(typeof(MessagePack.MessagePackWriter).Assembly.Location);
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public static CSharpCompilation CreateCompilation(params string[] sources)
        => CSharpCompilation.Create(
            "GeneratorTest",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: "Source" + i + ".cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                // The SDK silences these binding-redirect notes too (MessagePack was built against older System.Memory).
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
                {
                    ["CS1701"] = ReportDiagnostic.Suppress,
                    ["CS1702"] = ReportDiagnostic.Suppress,
                }));

    public static GeneratorDriver CreateDriver()
        => CSharpGeneratorDriver.Create(
            new[] { new SessionDataGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns its result and the diagnostics of compiling the user code plus generated code.</summary>
    public static (GeneratorRunResult Result, ImmutableArray<Diagnostic> CompileDiagnostics) Run(params string[] sources)
    {
        var compilation = CreateCompilation(sources);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var result = driver.GetRunResult().Results.Single();
        var compileDiagnostics = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();
        return (result, compileDiagnostics);
    }

    /// <summary>Generates for valid sources and asserts the result compiles with no warnings.</summary>
    public static IReadOnlyDictionary<string, string> GenerateClean(params string[] sources)
    {
        var (result, compileDiagnostics) = Run(sources);
        Assert.Empty(result.Diagnostics);
        Assert.True(compileDiagnostics.IsEmpty, string.Join(Environment.NewLine, compileDiagnostics));
        return result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
    }

    public static ImmutableArray<Diagnostic> GeneratorDiagnostics(params string[] sources) => Run(sources).Result.Diagnostics;
}
