using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SessionConnector.Generators;
using SessionConnector.Generators.Model;
using Xunit;

namespace SessionConnector.Tests.Generators;

public sealed class SessionDataGeneratorIncrementalTests
{
    private const string Source = """
        using System.Collections.Generic;
        using SessionConnector;

        namespace Game;

        [SessionData]
        public partial class PlayerSession
        {
            public long PlayerId { get; set; }
            public List<Item> Inventory { get; set; } = [];
        }

        [SessionData]
        public partial record Item(string Name, int Count);
        """;

    private static readonly string[] TrackedSteps =
    {
        SessionDataGenerator.TrackingNames.Parse,
        SessionDataGenerator.TrackingNames.Model,
        SessionDataGenerator.TrackingNames.Diagnostics,
    };

    [Fact]
    public void WhenUnrelatedFileChangesEveryStepIsCachedOrUnchanged()
    {
        var compilation = GeneratorDriverHelper.CreateCompilation(Source, "namespace Other; public class Unrelated { }");
        var driver = GeneratorDriverHelper.CreateDriver().RunGenerators(compilation);

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { public int Changed; }", GeneratorDriverHelper.ParseOptions, path: "Source1.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
        {
            var outputs = result.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                step + " re-ran: " + o.Reason));
        }

        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, "Output re-ran: " + o.Reason));
    }

    [Fact]
    public void WhenSessionDataTypeChangesModelStepIsModified()
    {
        // Guards the test above: the tracking must notice a real change, or "all cached" proves nothing.
        var compilation = GeneratorDriverHelper.CreateCompilation(Source);
        var driver = GeneratorDriverHelper.CreateDriver().RunGenerators(compilation);

        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.Single(),
            CSharpSyntaxTree.ParseText(Source.Replace("public long PlayerId", "public int PlayerId"), GeneratorDriverHelper.ParseOptions, path: "Source0.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var reasons = result.TrackedSteps[SessionDataGenerator.TrackingNames.Model].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
    }

    [Fact]
    public void ModelHoldsNoSymbolsSyntaxOrLocations()
    {
        var compilation = GeneratorDriverHelper.CreateCompilation(Source, "using SessionConnector; [SessionData] public class NotPartial { }");
        var result = GeneratorDriverHelper.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();

        var values = result.TrackedSteps[SessionDataGenerator.TrackingNames.Parse]
            .SelectMany(s => s.Outputs)
            .Select(o => o.Value)
            .ToList();
        Assert.Equal(3, values.Count);
        Assert.Contains(values, v => v is ParseResult { Model: not null });
        Assert.Contains(values, v => v is ParseResult { Diagnostics.Count: > 0 });

        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var value in values)
        {
            AssertNoCompilerObjects(value, "ParseResult", visited);
        }
    }

    private static void AssertNoCompilerObjects(object? value, string path, HashSet<object> visited)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !visited.Add(value))
        {
            return;
        }

        Assert.False(
            value is ISymbol or SyntaxNode or SyntaxTree or Location or Compilation or SemanticModel,
            path + " holds a " + value.GetType().Name + ", which pins the compilation and breaks caching");

        if (value is DiagnosticDescriptor or Microsoft.CodeAnalysis.Text.TextSpan or Microsoft.CodeAnalysis.Text.LinePositionSpan)
        {
            return; // Immutable values with structural equality.
        }

        if (value is IEnumerable sequence)
        {
            var i = 0;
            foreach (var item in sequence)
            {
                AssertNoCompilerObjects(item, path + "[" + i++ + "]", visited);
            }
        }

        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertNoCompilerObjects(field.GetValue(value), path + "." + field.Name, visited);
        }
    }
}
