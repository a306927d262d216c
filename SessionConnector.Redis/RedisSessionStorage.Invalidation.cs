using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Redis.Internal;
using StackExchange.Redis;

namespace SessionConnector.Redis;

// Invalidations travel on a classic (not sharded) pub/sub channel. On Redis Cluster a classic PUBLISH reaches every
// node over the cluster bus, so each app node subscribes once, on any cluster node, and hears about every slot; the
// write script can PUBLISH whatever slot its key is in. Sharded pub/sub (SPUBLISH) keeps a message inside the shard
// that owns the channel's slot: hearing every record would take a subscription per shard, with channel names that
// have to follow slot migrations, for traffic (a ~70-byte message per write) the cluster bus carries easily.
public sealed partial class RedisSessionStorage
{
    /// <summary>How long after a lost connection comes back the cache keeps being emptied (the client re-subscribes after it raises the event).</summary>
    private const long ReconnectGraceMs = 1000;

    private readonly TimeSpan _staleInterval;
    private ISubscriber? _subscriber;
    private Timer? _staleTimer;

    // Ticks (Environment.TickCount64) until which the cache is treated as stale; long.MaxValue while the subscription
    // is down. Read and written with Volatile/Interlocked because the redis event threads and the timer race on it.
    private long _staleUntil;
    private long _invalidationsReceived;
    private long _fullInvalidations;

    /// <summary>True while the invalidation subscription is connected, so other nodes' changes reach this node's cache.</summary>
    public bool IsSubscriptionConnected => Volatile.Read(ref _staleUntil) != long.MaxValue && SubscriptionUp();

    /// <summary>How many invalidations from other nodes this storage has received (also the <c>sessionconnector.redis.invalidations.received</c> counter).</summary>
    public long InvalidationsReceived => Interlocked.Read(ref _invalidationsReceived);

    /// <summary>How many times this storage told the connector to empty its whole cache (a clear elsewhere, a lost connection; also <c>sessionconnector.redis.cache.clears</c>).</summary>
    public long FullInvalidations => Interlocked.Read(ref _fullInvalidations);

    private async ValueTask StartInvalidations(bool async, CancellationToken cancellationToken)
    {
        _staleTimer = new Timer(static state => ((RedisSessionStorage)state!).OnStaleTick(), this, Timeout.Infinite, Timeout.Infinite);
        _multiplexer.ConnectionFailed += OnConnectionFailed;
        _multiplexer.ConnectionRestored += OnConnectionRestored;
        _subscriber = _multiplexer.GetSubscriber();
        RedisChannel channel = RedisChannel.Literal(ChannelName);
        // Connect can return before the subscription connection is up (and FailFast then refuses SUBSCRIBE), so retry
        // for up to the connect timeout before giving up.
        long deadline = Environment.TickCount64 + (long)_connectTimeout.TotalMilliseconds;
        while (true)
        {
            try
            {
                if (async) await _subscriber.SubscribeAsync(channel, OnMessage).WaitAsync(cancellationToken).ConfigureAwait(false);
                else _subscriber.Subscribe(channel, OnMessage);
                return;
            }
            catch (Exception e) when (IsRedisFailure(e, cancellationToken))
            {
                // Drop the handler the failed call may have registered, so a retry cannot deliver each message twice.
                UnsubscribeQuietly();
                if (Environment.TickCount64 >= deadline)
                {
                    StopInvalidations();
                    throw Failed("subscribe to invalidations", e);
                }

                if (async) await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                else Thread.Sleep(50);
            }
        }
    }

    private void StopInvalidations()
    {
        _multiplexer.ConnectionFailed -= OnConnectionFailed;
        _multiplexer.ConnectionRestored -= OnConnectionRestored;
        _staleTimer?.Dispose();
        UnsubscribeQuietly();
    }

    private void UnsubscribeQuietly()
    {
        try
        {
            _subscriber?.Unsubscribe(RedisChannel.Literal(ChannelName), OnMessage, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (IsRedisFailure(e) || e is ObjectDisposedException)
        {
            // Redis is down: the server drops the subscription with the connection anyway.
        }
    }

    private bool SubscriptionUp() => _subscriber is { } s && s.IsConnected(RedisChannel.Literal(ChannelName));

    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        if (!InvalidationMessage.TryParseForeign((string?)message, _nodeId, out string storageKey)) return;
        Interlocked.Increment(ref _invalidationsReceived);
        _metrics.InvalidationReceived();
        if (storageKey == InvalidationMessage.All) InvalidateAll();
        else OnInvalidated(storageKey);
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription && IsOurSubscriptionEndpoint(e.EndPoint))
        {
            // Messages published from now on are lost to this node: treat every cached session as stale until the
            // subscription is back (on this server, or on another cluster node the client moves it to).
            Volatile.Write(ref _staleUntil, long.MaxValue);
        }
        else
        {
            // Any other lost server (a cluster primary dying, a replica) may have accepted writes whose invalidations
            // never left it: empty the cache now and for a grace period while the cluster settles.
            ExtendGrace();
        }

        InvalidateAll();
        ArmStaleTimer();
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // The client re-subscribes after this event; keep clearing for a short grace period so changes published
        // between the reconnect and the re-subscription cannot linger in the cache.
        if (e.ConnectionType != ConnectionType.Subscription) return;
        ExtendGrace();
        InvalidateAll();
        ArmStaleTimer();
    }

    private bool IsOurSubscriptionEndpoint(EndPoint? endpoint)
    {
        if (_subscriber is null || endpoint is null) return true;
        EndPoint? ours = _subscriber.SubscribedEndpoint(RedisChannel.Literal(ChannelName));
        // Unknown (not yet or no longer subscribed) counts as ours: stale until proven otherwise.
        return ours is null || ours.Equals(endpoint);
    }

    private void ExtendGrace()
    {
        long until = Environment.TickCount64 + ReconnectGraceMs;
        long current = Volatile.Read(ref _staleUntil);
        // Never shorten: a down subscription (long.MaxValue) or a later grace period wins.
        while (current < until)
        {
            long seen = Interlocked.CompareExchange(ref _staleUntil, until, current);
            if (seen == current) return;
            current = seen;
        }
    }

    private void ArmStaleTimer()
    {
        try
        {
            _staleTimer?.Change(_staleInterval, _staleInterval);
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: nothing left to invalidate.
        }
    }

    private void OnStaleTick()
    {
        InvalidateAll();
        long until = Volatile.Read(ref _staleUntil);
        if (until == long.MaxValue)
        {
            // The client moves a subscription whose server died to another node without raising ConnectionRestored
            // for it; once the channel answers again, stale mode ends after the grace period.
            if (SubscriptionUp()) Interlocked.CompareExchange(ref _staleUntil, Environment.TickCount64 + ReconnectGraceMs, long.MaxValue);
            return;
        }

        if (Environment.TickCount64 > until)
        {
            try
            {
                _staleTimer?.Change(Timeout.Infinite, Timeout.Infinite);
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently.
            }
        }
    }

    private void InvalidateAll()
    {
        Interlocked.Increment(ref _fullInvalidations);
        _metrics.CacheCleared();
        OnInvalidatedAll();
    }
}
