using System.Collections.Generic;

namespace SessionConnector.Reading;

/// <summary>
/// A read-only view of a <c>HashSet&lt;T&gt;</c> of immutable elements: <see cref="Contains"/>, a count and a struct
/// enumerator, no way back to the set, no allocation. A null set reads as empty.
/// </summary>
/// <typeparam name="T">The element type (scalars, strings, enums, dates, ...).</typeparam>
public readonly struct SetView<T> : IReadOnlyView<HashSet<T>, SetView<T>>
{
    private readonly HashSet<T>? _set;

    private SetView(HashSet<T>? set) => _set = set;

    /// <summary>The number of elements (0 when the set is null).</summary>
    public int Count => _set?.Count ?? 0;

    /// <summary>True when the stored set is null.</summary>
    public bool IsNull => _set is null;

    /// <summary>True when the set holds <paramref name="item"/>.</summary>
    public bool Contains(T item) => _set?.Contains(item) ?? false;

    /// <summary>Enumerates the elements without allocating.</summary>
    public Enumerator GetEnumerator() => new(_set);

    static SetView<T> IReadOnlyView<HashSet<T>, SetView<T>>.Create(HashSet<T> source) => new(source);

    /// <summary>Enumerates the elements of the set (none when it is null).</summary>
    public struct Enumerator
    {
        private HashSet<T>.Enumerator _inner;
        private readonly bool _any;

        internal Enumerator(HashSet<T>? set)
        {
            _any = set is not null;
            _inner = set is null ? default : set.GetEnumerator();
        }

        /// <summary>The current element.</summary>
        public T Current => _inner.Current;

        /// <summary>Moves to the next element.</summary>
        public bool MoveNext() => _any && _inner.MoveNext();
    }
}
