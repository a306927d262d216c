using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SessionConnector.Generators;

/// <summary>
/// The compilation as ASP.NET Core's request delegate generator sees it: the project's sources without the files the
/// [SessionData] generator adds (generators never see each other's output).
/// </summary>
/// <remarks>
/// A separate compilation has no analysis context of its own, so its semantic model is created here (RS1030 is about
/// re-creating the model of the analyzed compilation, which the context already offers). The compilation is built at
/// most once per analyzed compilation, and only when a handler lambda is met; binding only the lambda is cheap.
/// </remarks>
internal sealed class RdgView(Compilation compilation, ImmutableArray<SyntaxTree> generated)
{
    private Compilation? _view;

    /// <summary>The return type the RDG's binding gives <paramref name="lambda"/>; null when it binds to no method.</summary>
    public ITypeSymbol? InferredReturnType(LambdaExpressionSyntax lambda, CancellationToken cancellationToken)
    {
        // A race builds two equal compilations; either is right, so no lock.
        Compilation view = LazyInitializer.EnsureInitialized(ref _view, () => compilation.RemoveSyntaxTrees(generated))!;
        SemanticModel model = view.GetSemanticModel(lambda.SyntaxTree);
        return (model.GetSymbolInfo(lambda, cancellationToken).Symbol as IMethodSymbol)?.ReturnType;
    }
}
