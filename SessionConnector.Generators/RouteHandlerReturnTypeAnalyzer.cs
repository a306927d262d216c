using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace SessionConnector.Generators;

/// <summary>
/// Flags a minimal-API handler lambda whose return type ASP.NET Core's request delegate generator (RDG) infers
/// differently from the compiler (SCG030).
/// </summary>
/// <remarks>
/// Source generators all see the same input compilation, never each other's output. In the RDG's compilation a
/// <c>[SessionData]</c> type therefore does not implement <c>ISessionData&lt;T&gt;</c> (this project's generator adds it),
/// so <c>http.GetSession&lt;T&gt;()</c> breaks its constraint (CS0311), everything that flows from it has an error type,
/// and a lambda whose returned expression depends on it gets no inferred return type: the RDG emits the handler as a
/// plain <c>Task</c> and discards the result (an empty 200). The check binds the handler once more without this
/// generator's files, exactly what the RDG sees, and reports a handler whose return type then differs.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RouteHandlerReturnTypeAnalyzer : DiagnosticAnalyzer
{
    private const string RouteBuilderExtensionsName = "Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions";

    // A generator's files are named <assembly>/<generator type>/<hint name> in the compilation, on disk and in memory.
    private static readonly string GeneratedFolder = typeof(SessionDataGenerator).FullName!;

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.HandlerReturnTypeHiddenFromRdg);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            Compilation compilation = start.Compilation;
            INamedTypeSymbol? routeBuilder = compilation.GetTypeByMetadataName(RouteBuilderExtensionsName);
            INamedTypeSymbol? @delegate = compilation.GetTypeByMetadataName("System.Delegate");
            if (routeBuilder is null || @delegate is null) return;

            ImmutableArray<SyntaxTree> generated = compilation.SyntaxTrees.Where(IsOurs).ToImmutableArray();
            if (generated.IsEmpty) return; // nothing the RDG cannot see

            var rdgView = new RdgView(compilation, generated);
            start.RegisterOperationAction(c => AnalyzeInvocation(c, routeBuilder, @delegate, rdgView), OperationKind.Invocation);
        });
    }

    private static bool IsOurs(SyntaxTree tree) =>
        tree.FilePath.Replace('\\', '/').IndexOf("/" + GeneratedFolder + "/", StringComparison.Ordinal) >= 0;

    private static void AnalyzeInvocation(OperationAnalysisContext context, INamedTypeSymbol routeBuilder, INamedTypeSymbol @delegate, RdgView rdgView)
    {
        var invocation = (IInvocationOperation)context.Operation;
        // The RDG intercepts the Map* overloads of EndpointRouteBuilderExtensions that take a Delegate handler.
        if (!SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, routeBuilder)) return;

        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (argument.Parameter is null || !SymbolEqualityComparer.Default.Equals(argument.Parameter.Type, @delegate)) continue;
            if (Unwrap(argument.Value) is not IAnonymousFunctionOperation lambda) continue;

            // A declared return type is what the RDG reads; only an inferred one depends on the body's binding.
            if (lambda.Syntax is not LambdaExpressionSyntax syntax) continue;
            if (syntax is ParenthesizedLambdaExpressionSyntax { ReturnType: not null }) continue;

            ITypeSymbol compiler = lambda.Symbol.ReturnType;
            if (compiler.TypeKind == TypeKind.Error || ContainsError(compiler)) continue; // the code has its own errors to fix first
            ITypeSymbol? seen = rdgView.InferredReturnType(syntax, context.CancellationToken);
            string expected = compiler.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            string actual = seen is null ? "?" : seen.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            if (seen is not null && seen.TypeKind != TypeKind.Error && !ContainsError(seen) && actual == expected) continue;

            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.HandlerReturnTypeHiddenFromRdg,
                syntax.ArrowToken.GetLocation(),
                actual,
                expected));
        }
    }

    private static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IDelegateCreationOperation creation:
                    operation = creation.Target;
                    break;
                default:
                    return operation;
            }
        }
    }

    private static bool ContainsError(ITypeSymbol type) =>
        type is INamedTypeSymbol named && named.TypeArguments.Any(t => t.TypeKind == TypeKind.Error || ContainsError(t));
}
