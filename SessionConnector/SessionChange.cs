using System;

namespace SessionConnector;

/// <summary>
/// What an update does to the current value. The update core is generic over it with struct implementations, so the
/// <see cref="Action{T}"/> and <see cref="SessionBag"/> overloads pass their argument as is instead of allocating a
/// wrapping closure and delegate on every call (each change kind gets its own compiled copy of the core per session type;
/// an app uses one or two).
/// </summary>
internal interface ISessionChange<T>
{
    /// <summary>The new value from <paramref name="current"/> (a private copy the change may mutate).</summary>
    T Apply(T current);

    /// <summary>Throws <see cref="ArgumentNullException"/> when the caller passed no change.</summary>
    void ThrowIfMissing();
}

/// <summary>An update given as a function from the current value to the new one.</summary>
internal readonly struct FunctionChange<T>(Func<T, T> change) : ISessionChange<T>
{
    public T Apply(T current) => change(current);

    public void ThrowIfMissing() => ArgumentNullException.ThrowIfNull(change);
}

/// <summary>An update given as an in-place mutation of the current value.</summary>
internal readonly struct MutationChange<T>(Action<T> change) : ISessionChange<T>
{
    public T Apply(T current)
    {
        change(current);
        return current;
    }

    public void ThrowIfMissing() => ArgumentNullException.ThrowIfNull(change);
}

/// <summary>An untyped session update: <see cref="SessionBag.Merge"/> of the caller's changes.</summary>
internal readonly struct MergeChange(SessionBag changes) : ISessionChange<SessionBag>
{
    public SessionBag Apply(SessionBag current)
    {
        current.Merge(changes);
        return current;
    }

    public void ThrowIfMissing() => ArgumentNullException.ThrowIfNull(changes);
}
