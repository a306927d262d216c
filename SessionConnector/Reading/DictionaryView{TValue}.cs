using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;

namespace SessionConnector.Reading;

/// <summary>
/// A read-only view of a <c>Dictionary&lt;string, TValue&gt;</c> of immutable values: lookups and a struct enumerator, no
/// way back to the dictionary, no allocation. A null dictionary reads as empty.
/// </summary>
/// <typeparam name="TValue">The value type (scalars, strings, enums, dates, ...).</typeparam>
public readonly struct DictionaryView<TValue> : IReadOnlyView<Dictionary<string, TValue>, DictionaryView<TValue>>
{
    private readonly Dictionary<string, TValue>? _dictionary;

    private DictionaryView(Dictionary<string, TValue>? dictionary) => _dictionary = dictionary;

    /// <summary>The number of entries (0 when the dictionary is null).</summary>
    public int Count => _dictionary?.Count ?? 0;

    /// <summary>True when the stored dictionary is null.</summary>
    public bool IsNull => _dictionary is null;

    /// <summary>The value stored under <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no such key.</exception>
    public TValue this[string key] => TryGetValue(key, out TValue? value) ? value : throw new KeyNotFoundException($"The key '{key}' is not in the dictionary.");

    /// <summary>True when <paramref name="key"/> is present.</summary>
    public bool ContainsKey(string key) => _dictionary?.ContainsKey(key) ?? false;

    /// <summary>Looks <paramref name="key"/> up; false (and default) when absent.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_dictionary is not null) return _dictionary.TryGetValue(key, out value);
        value = default;
        return false;
    }

    /// <summary>Enumerates the entries without allocating.</summary>
    public Enumerator GetEnumerator() => new(_dictionary);

    static DictionaryView<TValue> IReadOnlyView<Dictionary<string, TValue>, DictionaryView<TValue>>.Create(Dictionary<string, TValue> source) => new(source);

    /// <summary>Enumerates the entries of the dictionary (none when it is null).</summary>
    public struct Enumerator
    {
        private Dictionary<string, TValue>.Enumerator _inner;
        private readonly bool _any;

        internal Enumerator(Dictionary<string, TValue>? dictionary)
        {
            _any = dictionary is not null;
            _inner = dictionary is null ? default : dictionary.GetEnumerator();
        }

        /// <summary>The current entry.</summary>
        public KeyValuePair<string, TValue> Current => _inner.Current;

        /// <summary>Moves to the next entry.</summary>
        public bool MoveNext() => _any && _inner.MoveNext();
    }
}
