using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

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
    private readonly T[]? _array;
    private readonly List<T>? _list;

    private ListView(T[]? array, List<T>? list)
    {
        _array = array;
        _list = list;
    }

    /// <summary>The number of elements (0 when the collection is null).</summary>
    public int Count => _array?.Length ?? _list?.Count ?? 0;

    /// <summary>True when the stored collection is null.</summary>
    public bool IsNull => _array is null && _list is null;

    /// <summary>A view of the element at <paramref name="index"/>.</summary>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is outside the collection.</exception>
    public TView this[int index] => TView.Create(Items[index]);

    private ReadOnlySpan<T> Items => _array ?? (ReadOnlySpan<T>)CollectionsMarshal.AsSpan(_list);

    /// <summary>Enumerates views of the elements without allocating.</summary>
    public Enumerator GetEnumerator() => new(Items);

    static ListView<T, TView> IReadOnlyView<T[], ListView<T, TView>>.Create(T[] source) => new(source, null);

    static ListView<T, TView> IReadOnlyView<List<T>, ListView<T, TView>>.Create(List<T> source) => new(null, source);

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
