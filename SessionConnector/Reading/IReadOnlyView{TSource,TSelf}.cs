namespace SessionConnector.Reading;

/// <summary>
/// A read-only view type over a <typeparamref name="TSource"/>: lets the collection views (<see cref="ListView{T, TView}"/>,
/// <see cref="DictionaryView{TValue, TView}"/>) wrap each element in its own view without knowing its type. Implemented by
/// the generated <c>View</c> of every <c>[SessionData]</c> type and by the runtime's collection views.
/// </summary>
/// <typeparam name="TSource">The data the view reads.</typeparam>
/// <typeparam name="TSelf">The view type.</typeparam>
public interface IReadOnlyView<TSource, TSelf> where TSelf : struct, IReadOnlyView<TSource, TSelf>
{
    /// <summary>Wraps <paramref name="source"/> (which may be null for a collection: it then reads as empty); never copies it.</summary>
    static abstract TSelf Create(TSource source);
}
