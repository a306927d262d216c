using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SessionConnector.Generators.Model;

namespace SessionConnector.Generators;

/// <summary>
/// Implements <c>global::SessionConnector.ISessionData&lt;T&gt;</c> for every <c>[SessionData]</c> partial type:
/// MessagePack and JSON readers/writers, a deep copy and a default factory, with no reflection.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class SessionDataGenerator : IIncrementalGenerator
{
    internal const string SessionDataAttributeName = "SessionConnector.SessionDataAttribute";

    /// <summary>Tracking names, so tests can assert each step is cached.</summary>
    internal static class TrackingNames
    {
        public const string Parse = "SessionData.Parse";
        public const string Model = "SessionData.Model";
        public const string Diagnostics = "SessionData.Diagnostics";
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                SessionDataAttributeName,
                predicate: static (node, _) => node is ClassDeclarationSyntax or StructDeclarationSyntax or RecordDeclarationSyntax,
                transform: static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        var models = results
            .Select(static (result, _) => result.Model)
            .WithTrackingName(TrackingNames.Model);

        var diagnostics = results
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(models, static (spc, model) =>
        {
            if (model is not null)
            {
                spc.AddSource(model.HintName, Emitter.Emit(model));
            }
        });

        // The three-way merge goes to its own file per type (<Type>.Merge.g.cs), independent of the codec's.
        context.RegisterSourceOutput(models, static (spc, model) =>
        {
            if (model is not null)
            {
                spc.AddSource(MergeEmitter.HintName(model), MergeEmitter.Emit(model));
            }
        });

        // The read-only View (<Type>.View.g.cs): TryRead's zero-copy reads of the cached snapshot.
        context.RegisterSourceOutput(models, static (spc, model) =>
        {
            if (model is not null)
            {
                spc.AddSource(ViewEmitter.HintName(model), ViewEmitter.Emit(model));
            }
        });

        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (var diagnostic in list)
            {
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });
    }
}
