namespace SessionConnector.Generators.Model;

/// <summary>A type the [SessionData] type is nested in, re-declared as a partial around the generated code.</summary>
/// <param name="Keyword">The declaration keyword, e.g. <c>class</c>, <c>record struct</c>.</param>
/// <param name="Name">The type's name.</param>
internal sealed record ContainingTypeModel(string Keyword, string Name);
