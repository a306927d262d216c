namespace SessionConnector.Generators.Model;

/// <summary>
/// What the parser returns for one [SessionData] declaration: the model to emit (null when an error makes
/// the type ungeneratable) and the diagnostics, which the pipeline splits into their own output.
/// </summary>
internal sealed record ParseResult(SessionTypeModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
