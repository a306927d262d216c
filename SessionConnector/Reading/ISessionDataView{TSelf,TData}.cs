using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.Reading;

/// <summary>
/// A read-only view of <typeparamref name="TData"/>: the generated <c>View</c> implements only
/// <see cref="IReadOnlyView{TSource, TSelf}.Create"/>; reading through the connector is written once, here.
/// </summary>
/// <typeparam name="TSelf">The view type.</typeparam>
/// <typeparam name="TData">The <c>[SessionData]</c> type it reads.</typeparam>
public interface ISessionDataView<TSelf, TData> : ISessionDataView<TSelf>, IReadOnlyView<TData, TSelf>
    where TSelf : struct, ISessionDataView<TSelf, TData>
    where TData : ISessionData<TData>
{
    static bool ISessionDataView<TSelf>.TryRead(SessionStorageConnector connector, string id, out TSelf view) =>
        connector.TryReadView<TData, TSelf>(id, out view);

    static ValueTask<(bool Found, TSelf View)> ISessionDataView<TSelf>.TryReadAsync(SessionStorageConnector connector, string id, CancellationToken cancellationToken) =>
        connector.TryReadViewAsync<TData, TSelf>(id, cancellationToken);
}
