using System;
using System.Collections.Generic;

namespace SessionConnector.Reading;

/// <summary>
/// A read-only view of a <c>T[]</c> or <c>List&lt;T&gt;</c> whose elements are themselves mutable (nested <c>[SessionData]</c>
/// types, lists, dictionaries): every element is handed out as its own view <typeparamref name="TView"/>, never as the
/// instance. Enumerating it allocates nothing. A null collection reads as empty.
/// </summary>
/// <typeparam name="T">The stored element type.</typeparam>
/// <typeparam name="TView">The element's read-only view.</typeparam>
public readonly struct ListView<T, TView> : IReadOnlyView<T[], ListView<T, TView>>, IReadOnlyView<List<T>, ListView<T, TView>>
    where TView : struct, IReadOnlyView<T, TView>
{
    // The element-typed view, kept private: its span would hand out the mutable elements themselves.
    private readonly ListView<T> _items;

    private ListView(ListView<T> items) => _items = items;

    /// <summary>The number of elements (0 when the collection is null).</summary>
    public int Count => _items.Count;

    /// <summary>True when the stored collection is null.</summary>
    public bool IsNull => _items.IsNull;

    /// <summary>A view of the element at <paramref name="index"/>.</summary>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is outside the collection.</exception>
    public TView this[int index] => TView.Create(_items[index]);

    /// <summary>Enumerates views of the elements without allocating.</summary>
    public Enumerator GetEnumerator() => new(_items.AsSpan());

    static ListView<T, TView> IReadOnlyView<T[], ListView<T, TView>>.Create(T[] source) =>
        new(ReadOnlyViews.Of<T[], ListView<T>>(source));

    static ListView<T, TView> IReadOnlyView<List<T>, ListView<T, TView>>.Create(List<T> source) =>
        new(ReadOnlyViews.Of<List<T>, ListView<T>>(source));

    /// <summary>Enumerates element views; a <c>ref struct</c> over the elements' span.</summary>
    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<T> _items;
        private int _index;

        internal Enumerator(ReadOnlySpan<T> items)
        {
            _items = items;
            _index = -1;
        }

        /// <summary>A view of the current element.</summary>
        public readonly TView Current => TView.Create(_items[_index]);

        /// <summary>Moves to the next element.</summary>
        public bool MoveNext() => ++_index < _items.Length;
    }
}
