using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace SessionConnector.Tests.Generators;

public sealed class SessionDataGeneratorDiagnosticTests
{
    private const string Usings = "using System; using System.Collections.Generic; using SessionConnector;\n";

    private static Diagnostic Single(string source, string id, DiagnosticSeverity severity = DiagnosticSeverity.Error)
    {
        var diagnostics = GeneratorDriverHelper.GeneratorDiagnostics(Usings + source);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        // Rebuilt from a plain location record (the cached model holds no Location), so it is a file location.
        Assert.Equal("Source0.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.False(diagnostic.Location.SourceSpan.IsEmpty);
        return diagnostic;
    }

    [Fact]
    public void WhenTypeIsNotPartialReportsSCG001()
    {
        var d = Single("[SessionData] public class Cart { public int Count { get; set; } }", "SCG001");
        Assert.Contains("add the 'partial' modifier", d.GetMessage());
        Assert.Contains("Cart", d.GetMessage());
    }

    [Fact]
    public void WhenMemberTypeIsUnsupportedReportsSCG002WithSupportedList()
    {
        var d = Single("[SessionData] public partial class Cart { public object Payload { get; set; } = new(); }", "SCG002");
        var message = d.GetMessage();
        Assert.Contains("'Payload'", message);
        Assert.Contains("'object'", message);
        Assert.Contains("Dictionary<string, T>", message);
        Assert.Contains("[SessionIgnore]", message);
    }

    [Fact]
    public void WhenDictionaryKeyIsNotStringReportsSCG002()
        => Single("[SessionData] public partial class Cart { public Dictionary<int, int>? Map { get; set; } }", "SCG002");

    [Fact]
    public void WhenMemberTypeIsClassWithoutSessionDataReportsSCG003()
    {
        var d = Single(
            "public class Line { public int Qty { get; set; } } [SessionData] public partial class Cart { public List<Line> Lines { get; set; } = []; }",
            "SCG003");
        Assert.Contains("'Line'", d.GetMessage());
        Assert.Contains("add [SessionData]", d.GetMessage());
    }

    [Fact]
    public void WhenTwoMembersShareAKeyReportsSCG004()
    {
        var d = Single(
            "[SessionData] public partial class Cart { public int A { get; set; } [SessionKey(\"A\")] public int B { get; set; } }",
            "SCG004");
        Assert.Contains("'A'", d.GetMessage());
        Assert.Contains("'B'", d.GetMessage());
    }

    [Fact]
    public void WhenNoConstructorFitsReportsSCG005()
    {
        var d = Single(
            "[SessionData] public partial class Cart { public Cart(string unrelated) { } public int Count { get; set; } }",
            "SCG005");
        Assert.Contains("parameterless constructor", d.GetMessage());
    }

    [Fact]
    public void WhenTypeIsAbstractReportsSCG005()
        => Single("[SessionData] public abstract partial class Cart { public int Count { get; set; } }", "SCG005");

    [Fact]
    public void WhenTypeIsGenericReportsSCG006()
        => Single("[SessionData] public partial class Box<T> { public int Count { get; set; } }", "SCG006");

    [Fact]
    public void WhenContainingTypeIsNotPartialReportsSCG007()
    {
        var d = Single("public class Host { [SessionData] public partial class Cart { public int Count { get; set; } } }", "SCG007");
        Assert.Contains("'Host'", d.GetMessage());
    }

    [Fact]
    public void WhenSessionKeyIsEmptyReportsSCG008()
        => Single("[SessionData] public partial class Cart { [SessionKey(\"\")] public int Count { get; set; } }", "SCG008");

    [Fact]
    public void WhenGetOnlyAutoPropertyIsNotBoundReportsSCG009WarningAndStillGenerates()
    {
        var d = Single(
            "[SessionData] public partial class Cart { public List<int> Lines { get; } = []; public int Total => Lines.Count; public int Count { get; set; } }",
            "SCG009",
            DiagnosticSeverity.Warning);
        Assert.Contains("'Lines'", d.GetMessage());
        Assert.Single(GeneratorDriverHelper.Run(Usings + "[SessionData] public partial class Cart { public List<int> Lines { get; } = []; }").Result.GeneratedSources,
            s => s.HintName.EndsWith(".SessionData.g.cs", System.StringComparison.Ordinal));
    }

    [Fact]
    public void WhenReadonlyStructHasMatchingConstructorGetOnlyMembersAreBoundWithoutDiagnostic()
    {
        var generated = GeneratorDriverHelper.GenerateClean(
            Usings + "[SessionData] public readonly partial struct Vec { public Vec(int x, int y) { X = x; Y = y; } public int X { get; } public int Y { get; } }");
        Assert.Contains("new global::Vec(", Codec(generated));
    }

    [Fact]
    public void WhenUnsupportedMemberIsIgnoredNoDiagnosticAndOutputCompiles()
    {
        var generated = GeneratorDriverHelper.GenerateClean(
            Usings + "[SessionData] public partial class Cart { [SessionIgnore] public object? Payload { get; set; } public int Count { get; set; } }");
        Assert.Equal(3, generated.Count); // the codec, the merge and the read-only view
        Assert.DoesNotContain("Payload", Codec(generated));
    }

    [Fact]
    public void EveryDescriptorIsTrackedInReleaseFile()
    {
        var ids = typeof(SessionConnector.Generators.DiagnosticDescriptors)
            .GetFields()
            .Select(f => f.GetValue(null))
            .OfType<DiagnosticDescriptor>()
            .Select(d => d.Id)
            .ToList();
        Assert.Equal(14, ids.Count); // SCG001-SCG009, SCG020-SCG023 (merge strategies), SCG030 (route handlers)
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    // The codec's file; every type also gets a <Type>.Merge.g.cs.
    private static string Codec(System.Collections.Generic.IReadOnlyDictionary<string, string> generated)
        => generated.Single(p => p.Key.EndsWith(".SessionData.g.cs", System.StringComparison.Ordinal)).Value;
}
