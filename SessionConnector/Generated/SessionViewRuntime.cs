using System.ComponentModel;
using SessionConnector.Reading;

namespace SessionConnector.Generated;

/// <summary>For use by generated code: builds a member's view without naming a private constructor.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SessionViewRuntime
{
    /// <summary>The view <typeparamref name="TView"/> of <paramref name="source"/>.</summary>
    public static TView Of<TSource, TView>(TSource source) where TView : struct, IReadOnlyView<TSource, TView> => ReadOnlyViews.Of<TSource, TView>(source);
}
