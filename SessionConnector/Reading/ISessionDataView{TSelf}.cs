using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.Reading;

/// <summary>
/// A read-only view of a <c>[SessionData]</c> type: what <see cref="SessionStorageConnector.TryRead{TView}"/> returns.
/// The generator implements it (through <see cref="ISessionDataView{TSelf, TData}"/>) as the type's nested <c>View</c>.
/// </summary>
/// <typeparam name="TSelf">The view type.</typeparam>
public interface ISessionDataView<TSelf> where TSelf : struct, ISessionDataView<TSelf>
{
    /// <summary>Reads session <paramref name="id"/> through <paramref name="connector"/> as a view (see <see cref="SessionStorageConnector.TryRead{TView}"/>).</summary>
    static abstract bool TryRead(SessionStorageConnector connector, string id, out TSelf view);

    /// <summary>Async twin of <see cref="TryRead"/>.</summary>
    static abstract ValueTask<(bool Found, TSelf View)> TryReadAsync(SessionStorageConnector connector, string id, CancellationToken cancellationToken);
}
