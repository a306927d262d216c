namespace System.Runtime.CompilerServices;

/// <summary>Lets records compile on netstandard2.0, where the runtime does not ship this marker.</summary>
internal static class IsExternalInit
{
}
