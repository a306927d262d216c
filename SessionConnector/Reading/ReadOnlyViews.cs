namespace SessionConnector.Reading;

/// <summary>
/// Builds a view through its static abstract factory. Lives here rather than calling the generated-code helper
/// (<c>SessionConnector.Generated.SessionViewRuntime</c>) so that Reading does not depend on Generated.
/// </summary>
internal static class ReadOnlyViews
{
    internal static TView Of<TSource, TView>(TSource source) where TView : struct, IReadOnlyView<TSource, TView> => TView.Create(source);
}
