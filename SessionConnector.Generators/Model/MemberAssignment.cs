namespace SessionConnector.Generators.Model;

/// <summary>How a deserialized value reaches the member.</summary>
internal enum MemberAssignment
{
    /// <summary>Assigned after construction (<c>set</c> accessor or writable field).</summary>
    Set,

    /// <summary>Assigned in an object initializer (<c>init</c> accessor).</summary>
    Init,

    /// <summary>Passed to the constructor (record primary constructor or matching parameter).</summary>
    Constructor,
}
