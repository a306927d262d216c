using System;
using System.Threading;
using SessionConnector.Redis.Internal;
using StackExchange.Redis;

namespace SessionConnector.Redis;

public sealed partial class RedisSessionStorage
{
    private ISubscriber? _subscriber;
    private Timer? _staleTimer;
    private TimeSpan _staleInterval;

    // Ticks (Environment.TickCount64) until which the cache is treated as stale; long.MaxValue while the subscription
    // is down. Read and written with Volatile/Interlocked because the redis event threads and the timer race on it.
    private long _staleUntil;
    private long _invalidationsReceived;
    private long _fullInvalidations;

    /// <summary>True while the invalidation subscription is connected, so other nodes' changes reach this node's cache.</summary>
    public bool IsSubscriptionConnected => Volatile.Read(ref _staleUntil) != long.MaxValue && _multiplexer.IsConnected;

    /// <summary>How many invalidations from other nodes this storage has received (for monitoring).</summary>
    public long InvalidationsReceived => Interlocked.Read(ref _invalidationsReceived);

    /// <summary>How many times this storage told the connector to empty its whole cache (a clear elsewhere, a lost subscription).</summary>
    public long FullInvalidations => Interlocked.Read(ref _fullInvalidations);

    private void StartInvalidations(TimeSpan staleInterval)
    {
        _staleInterval = staleInterval;
        _staleTimer = new Timer(static state => ((RedisSessionStorage)state!).OnStaleTick(), this, Timeout.Infinite, Timeout.Infinite);
        _multiplexer.ConnectionFailed += OnConnectionFailed;
        _multiplexer.ConnectionRestored += OnConnectionRestored;
        _subscriber = _multiplexer.GetSubscriber();
        // Connect can return before the subscription connection is up (and FailFast then refuses SUBSCRIBE), so retry
        // for up to the connect timeout before giving up.
        long deadline = Environment.TickCount64 + (long)_connectTimeout.TotalMilliseconds;
        while (true)
        {
            try
            {
                _subscriber.Subscribe(RedisChannel.Literal(ChannelName), OnMessage);
                return;
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                // Drop the handler the failed call may have registered, so a retry cannot deliver each message twice.
                UnsubscribeQuietly();
                if (Environment.TickCount64 >= deadline)
                {
                    StopInvalidations();
                    throw Failure("subscribe to invalidations", e);
                }

                Thread.Sleep(50);
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

    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        if (!InvalidationMessage.TryParseForeign((string?)message, _nodeId, out string storageKey)) return;
        Interlocked.Increment(ref _invalidationsReceived);
        if (storageKey == InvalidationMessage.All) InvalidateAll();
        else OnInvalidated(storageKey);
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription) return;
        // Messages published from now on are lost to this node: treat every cached session as stale until we are back.
        Volatile.Write(ref _staleUntil, long.MaxValue);
        InvalidateAll();
        ArmStaleTimer();
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription) return;
        // The client re-subscribes after this event; keep clearing for a short grace period so changes published
        // between the reconnect and the re-subscription cannot linger in the cache.
        Volatile.Write(ref _staleUntil, Environment.TickCount64 + 1000);
        InvalidateAll();
        ArmStaleTimer();
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
        long until = Volatile.Read(ref _staleUntil);
        InvalidateAll();
        if (until != long.MaxValue && Environment.TickCount64 > until)
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
        OnInvalidatedAll();
    }
}
