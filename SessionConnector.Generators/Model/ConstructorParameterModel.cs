namespace SessionConnector.Generators.Model;

/// <summary>A constructor parameter: the C# expression used when no stored value exists for it.</summary>
internal sealed record ConstructorParameterModel(string Name, string DefaultValueExpression);
