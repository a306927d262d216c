using System.Collections.Generic;

namespace SessionConnector.Reading;

/// <summary>
/// A read-only view of a <c>Dictionary&lt;string, TValue&gt;</c> whose values are themselves mutable (nested
/// <c>[SessionData]</c> types, lists, dictionaries): every value is handed out as its own view <typeparamref name="TView"/>.
/// No way back to the dictionary, no allocation. A null dictionary reads as empty.
/// </summary>
/// <typeparam name="TValue">The stored value type.</typeparam>
/// <typeparam name="TView">The value's read-only view.</typeparam>
public readonly struct DictionaryView<TValue, TView> : IReadOnlyView<Dictionary<string, TValue>, DictionaryView<TValue, TView>>
    where TView : struct, IReadOnlyView<TValue, TView>
{
    // The value-typed view, kept private: it would hand out the mutable values themselves.
    private readonly DictionaryView<TValue> _entries;

    private DictionaryView(DictionaryView<TValue> entries) => _entries = entries;

    /// <summary>The number of entries (0 when the dictionary is null).</summary>
    public int Count => _entries.Count;

    /// <summary>True when the stored dictionary is null.</summary>
    public bool IsNull => _entries.IsNull;

    /// <summary>A view of the value stored under <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no such key.</exception>
    public TView this[string key] => TView.Create(_entries[key]);

    /// <summary>True when <paramref name="key"/> is present.</summary>
    public bool ContainsKey(string key) => _entries.ContainsKey(key);

    /// <summary>Looks <paramref name="key"/> up; false (and a default view, which must not be read) when absent.</summary>
    public bool TryGetValue(string key, out TView value)
    {
        if (_entries.TryGetValue(key, out TValue? stored))
        {
            value = TView.Create(stored);
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Enumerates the entries, each value as its view, without allocating.</summary>
    public Enumerator GetEnumerator() => new(_entries.GetEnumerator());

    static DictionaryView<TValue, TView> IReadOnlyView<Dictionary<string, TValue>, DictionaryView<TValue, TView>>.Create(Dictionary<string, TValue> source) =>
        new(ReadOnlyViews.Of<Dictionary<string, TValue>, DictionaryView<TValue>>(source));

    /// <summary>Enumerates the entries of the dictionary (none when it is null).</summary>
    public struct Enumerator
    {
        private DictionaryView<TValue>.Enumerator _inner;

        internal Enumerator(DictionaryView<TValue>.Enumerator inner) => _inner = inner;

        /// <summary>The current entry, its value as a view.</summary>
        public KeyValuePair<string, TView> Current
        {
            get
            {
                KeyValuePair<string, TValue> pair = _inner.Current;
                return new KeyValuePair<string, TView>(pair.Key, TView.Create(pair.Value));
            }
        }

        /// <summary>Moves to the next entry.</summary>
        public bool MoveNext() => _inner.MoveNext();
    }
}
