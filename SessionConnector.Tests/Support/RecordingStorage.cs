using System;
using System.Collections.Concurrent;
using SessionConnector.Storage;

namespace SessionConnector.Tests.Support;

/// <summary>A decorator that records every key and value a backend is handed, with optional hooks.</summary>
public sealed class RecordingStorage : SessionStorage
{
    private readonly SessionStorage _inner;

    public RecordingStorage(SessionStorage inner) => _inner = inner;

    public ConcurrentBag<string> Keys { get; } = new();

    public ConcurrentBag<byte[]> Values { get; } = new();

    /// <summary>Runs before every Write reaches the inner storage.</summary>
    public Action<string>? BeforeWrite { get; set; }

    /// <summary>Runs after a Write returned from the inner storage, before the caller sees the result.</summary>
    public Action<string>? AfterWrite { get; set; }

    public override string Kind => _inner.Kind;

    public override bool IsInMemory => false;

    public override StoredRecord? Read(string key)
    {
        Keys.Add(key);
        return _inner.Read(key);
    }

    public override bool TryWrite(string key, ReadOnlyMemory<byte> value, DateTimeOffset? expiresAt, long expectedVersion, long newVersion)
    {
        Keys.Add(key);
        Values.Add(value.ToArray());
        BeforeWrite?.Invoke(key);
        bool written = _inner.TryWrite(key, value, expiresAt, expectedVersion, newVersion);
        AfterWrite?.Invoke(key);
        return written;
    }

    public override bool Delete(string key)
    {
        Keys.Add(key);
        return _inner.Delete(key);
    }

    public override void Clear() => _inner.Clear();
}
