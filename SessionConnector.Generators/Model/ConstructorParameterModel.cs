namespace SessionConnector.Generators.Model;

/// <summary>A parameter of the constructor generated code calls.</summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="DefaultValueExpression">The C# expression passed when no stored value exists for it.</param>
/// <param name="Member">The index of the member it takes, or -1 when no stored member binds to it.</param>
internal sealed record ConstructorParameterModel(string Name, string DefaultValueExpression, int Member);
