using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SessionConnector.Generators;
using Xunit;

namespace SessionConnector.Tests.Generators;

/// <summary>
/// SCG030 on real ASP.NET Core minimal-API code (the shared framework's assemblies): the issue-22 handler whose result
/// the request delegate generator discarded under NativeAOT.
/// </summary>
public sealed class RouteHandlerReturnTypeAnalyzerTests
{
    // A session type and an extension with GetSession's constraint (SessionConnector.AspNetCore's signature), so the
    // binding is the one an application meets.
    private const string Prelude = """
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Builder;
        using Microsoft.AspNetCore.Http;
        using SessionConnector;

        [SessionData]
        public partial class WebSession
        {
            public string? User { get; set; }
            public int Counter { get; set; }
        }

        public sealed class Session<T> where T : ISessionData<T>
        {
            public Task<T> GetAsync() => Task.FromResult(T.CreateDefault());
        }

        public static class Extensions
        {
            public static Session<T> GetSession<T>(this HttpContext context) where T : ISessionData<T> => new();
        }

        public static class Endpoints
        {
            public static void Map(WebApplication app)
            {
        """;

    private const string Postlude = """
            }
        }
        """;

    /// <summary>The exact lambda of issue 22: a block body whose returned expression flows from the session data.</summary>
    private const string IssueLambda = """
        app.MapGet("/me", async (HttpContext http) =>
        {
            var d = await http.GetSession<WebSession>().GetAsync();
            return d.User is null ? Results.Unauthorized() : Results.Ok(d.User);
        });
        """;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string version = Path.GetFileName(runtime);
        // The ASP.NET Core shared framework installed beside the runtime the tests run on (same SDK, same version).
        string aspnet = Path.Combine(runtime, "..", "..", "Microsoft.AspNetCore.App", version);
        Assert.True(Directory.Exists(aspnet), $"no ASP.NET Core shared framework at {aspnet}");
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == runtime)
            .Concat(Directory.GetFiles(aspnet, "*.dll"))
            .Append(typeof(ISessionData<>).Assembly.Location)
            .Append(typeof(MessagePack.MessagePackWriter).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    });

    private static CSharpCompilation Compile(string endpoints) => CSharpCompilation.Create(
        "RouteHandlerTest",
        [CSharpSyntaxTree.ParseText(Prelude + endpoints + Postlude, GeneratorDriverHelper.ParseOptions, path: "Program.cs")],
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Runs the [SessionData] generator as the build does, then the analyzer; fails on any compile error.</summary>
    private static async Task<ImmutableArray<Diagnostic>> Analyze(string endpoints)
    {
        GeneratorDriverHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(Compile(endpoints), out Compilation built, out _);
        var errors = built.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
        return await built.WithAnalyzers([new RouteHandlerReturnTypeAnalyzer()]).GetAnalyzerDiagnosticsAsync();
    }

    [Fact]
    public void WithoutTheGeneratedPartGetSessionBreaksItsConstraint()
    {
        // What ASP.NET's request delegate generator binds: the sources alone. WebSession does not implement
        // ISessionData<WebSession> there, so the call is CS0311 and the lambda's return type cannot be inferred.
        CSharpCompilation alone = Compile(IssueLambda);
        Diagnostic error = Assert.Single(alone.GetDiagnostics(), d => d.Id == "CS0311");
        Assert.Contains("GetSession", error.GetMessage());
        Assert.Contains("ISessionData<WebSession>", error.GetMessage());
    }

    [Fact]
    public async Task WhenTheIssueLambdaInfersItsReturnTypeReportsSCG030()
    {
        Diagnostic d = Assert.Single(await Analyze(IssueLambda));
        Assert.Equal("SCG030", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Contains("as 'Task', not 'Task<IResult>'", d.GetMessage());
        Assert.Contains("async Task<IResult> (HttpContext http) =>", d.GetMessage());
        Assert.Equal("Program.cs", d.Location.GetLineSpan().Path);
    }

    [Fact]
    public async Task WhenTheReturnedValueIsATypedResultReportsSCG030()
    {
        Diagnostic d = Assert.Single(await Analyze("""
            app.MapPost("/count", async (HttpContext http) =>
            {
                var s = await http.GetSession<WebSession>().GetAsync();
                return TypedResults.Ok(s.Counter);
            });
            """));
        Assert.Equal("SCG030", d.Id);
        Assert.Contains("not 'Task<Ok<int>>'", d.GetMessage());
    }

    [Fact]
    public async Task WhenTheReturnTypeIsDeclaredReportsNothing() => Assert.Empty(await Analyze("""
        app.MapGet("/me", async Task<IResult> (HttpContext http) =>
        {
            var d = await http.GetSession<WebSession>().GetAsync();
            return d.User is null ? Results.Unauthorized() : Results.Ok(d.User);
        });
        static async Task<IResult> Declared(HttpContext http) =>
            (await http.GetSession<WebSession>().GetAsync()).User is null ? Results.Unauthorized() : Results.Ok();
        app.MapGet("/declared", Declared);
        """));

    [Fact]
    public async Task WhenTheReturnedTypeDoesNotDependOnTheSessionReportsNothing() => Assert.Empty(await Analyze("""
        app.MapPost("/count", async (HttpContext http) =>
        {
            WebSession s = await http.GetSession<WebSession>().GetAsync(); // a declared local stops the error type
            return TypedResults.Ok(s.Counter);
        });
        app.MapPost("/logout", async (HttpContext context) =>
        {
            await context.GetSession<WebSession>().GetAsync();
            return Results.NoContent();
        });
        app.MapGet("/ping", () => Results.Text("pong"));
        """));

    [Fact]
    public async Task WhenTheHandlerHasItsOwnCompileErrorReportsNothing()
    {
        // Half-typed code in an editor: the compiler's own error comes first, SCG030 would only add noise.
        GeneratorDriverHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(Compile("""
            app.MapGet("/typo", async (HttpContext http) =>
            {
                var d = await http.GetSession<WebSession>().GetAsync();
                return d.Usr is null ? Results.Unauthorized() : Results.Ok(d.Usr);
            });
            """), out Compilation built, out _);
        Assert.Contains(built.GetDiagnostics(), d => d.Id == "CS1061");
        Assert.Empty(await built.WithAnalyzers([new RouteHandlerReturnTypeAnalyzer()]).GetAnalyzerDiagnosticsAsync());
    }

    [Fact]
    public async Task WithoutTheSessionDataGeneratorsOutputInTheCompilationReportsNothing()
    {
        // No file of the [SessionData] generator (a project without it): nothing differs for the RDG, so no report.
        CSharpCompilation alone = Compile("""app.MapGet("/ping", async (HttpContext http) => { await Task.Yield(); return Results.Ok(); });""");
        var diagnostics = await alone.WithAnalyzers([new RouteHandlerReturnTypeAnalyzer()]).GetAnalyzerDiagnosticsAsync();
        Assert.Empty(diagnostics);
    }
}
