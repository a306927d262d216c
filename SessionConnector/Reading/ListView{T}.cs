using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace SessionConnector.Reading;

/// <summary>
/// A read-only view of a <c>T[]</c> or <c>List&lt;T&gt;</c> of immutable elements, where a span cannot be used (as an element
/// of another collection). It holds the collection privately and hands out elements and a <see cref="ReadOnlySpan{T}"/>
/// only, so it cannot be cast back to the collection; enumerating it allocates nothing. A null collection reads as empty.
/// </summary>
/// <typeparam name="T">The element type (scalars, strings, enums, dates, ...).</typeparam>
public readonly struct ListView<T> : IReadOnlyView<T[], ListView<T>>, IReadOnlyView<List<T>, ListView<T>>
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

    /// <summary>The element at <paramref name="index"/>.</summary>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is outside the collection.</exception>
    public T this[int index] => AsSpan()[index];

    /// <summary>The elements as a read-only span (empty when the collection is null).</summary>
    public ReadOnlySpan<T> AsSpan() => _array ?? (ReadOnlySpan<T>)CollectionsMarshal.AsSpan(_list);

    /// <summary>Enumerates the elements without allocating.</summary>
    public ReadOnlySpan<T>.Enumerator GetEnumerator() => AsSpan().GetEnumerator();

    static ListView<T> IReadOnlyView<T[], ListView<T>>.Create(T[] source) => new(source, null);

    static ListView<T> IReadOnlyView<List<T>, ListView<T>>.Create(List<T> source) => new(null, source);
}
