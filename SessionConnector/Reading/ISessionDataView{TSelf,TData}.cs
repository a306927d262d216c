using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.Reading;

/// <summary>
/// A read-only view of <typeparamref name="TData"/>: the generated <c>View</c> implements only
/// <see cref="IReadOnlyView{TSource, TSelf}.Create"/>; reading through the connector is written once, here.
/// </summary>
/// <remarks>
/// For the generator: <c>Create</c> receives the cache's shared snapshot, which must never be mutated or handed out. A
/// hand-written implementation gets that instance too, so leave implementing this to the generator.
/// </remarks>
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
