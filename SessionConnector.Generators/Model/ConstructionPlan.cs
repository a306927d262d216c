namespace SessionConnector.Generators.Model;

/// <summary>
/// How generated code builds an instance from member values: which members go to the constructor, which into the
/// object initializer, which are set afterwards. Readers, the deep copy, the default and the merge all build from
/// this one plan. Members are indexes into <see cref="SessionTypeModel.Members"/>.
/// </summary>
/// <param name="Arguments">The constructor's parameters, in order (empty: parameterless).</param>
/// <param name="Initialized">Members named in the object initializer: <c>init</c> accessors and <c>required</c> members.</param>
/// <param name="Required">The <c>required</c> members: named in every object creation, as <c>default</c> where no value exists yet.</param>
/// <param name="Assigned">Members set after construction (setters, writable fields).</param>
internal sealed record ConstructionPlan(
    EquatableArray<ConstructorParameterModel> Arguments,
    EquatableArray<int> Initialized,
    EquatableArray<int> Required,
    EquatableArray<int> Assigned);
