namespace SessionConnector.Redis.Internal;

/// <summary>
/// The Lua scripts. A record is a hash: <c>d</c> = envelope, <c>v</c> = version (decimal text), <c>e</c> = expiry in
/// Unix milliseconds (<c>0</c> for none, mirrored in the key's native TTL). Versions are compared as text because Lua
/// numbers are doubles and versions exceed 2^53. Each script touches exactly one key, so on Redis Cluster records
/// spread over every slot with no hash tag and no CROSSSLOT error.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// KEYS[1] record; ARGV: 1 expected version (-1 any, 0 absent), 2 new version, 3 envelope, 4 expiry ms or 0,
    /// 5 channel, 6 invalidation message. Compare, write, set the TTL and publish in one atomic step, so no node can
    /// miss an invalidation for a write that happened. Returns 1 when it wrote, 0 when the version differed.
    /// </summary>
    public static readonly RedisScript Write = new("""
        local cur = redis.call('HGET', KEYS[1], 'v')
        local expected = ARGV[1]
        if expected == '0' then
          if cur then return 0 end
        elseif expected ~= '-1' then
          if cur ~= expected then return 0 end
        end
        redis.call('HSET', KEYS[1], 'd', ARGV[3], 'v', ARGV[2], 'e', ARGV[4])
        if ARGV[4] == '0' then
          redis.call('PERSIST', KEYS[1])
        else
          redis.call('PEXPIREAT', KEYS[1], ARGV[4])
        end
        redis.call('PUBLISH', ARGV[5], ARGV[6])
        return 1
        """);

    /// <summary>KEYS[1] record; ARGV: 1 channel, 2 invalidation message. Deletes and publishes when something was deleted; returns how many keys it deleted.</summary>
    public static readonly RedisScript Delete = new("""
        local n = redis.call('DEL', KEYS[1])
        if n > 0 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
        return n
        """);

    /// <summary>
    /// KEYS[1] record; ARGV: 1 expected version (0: a record whose version field is unparseable), 2 channel,
    /// 3 invalidation message. Deletes only while the record still carries the version its caller read, expired or not,
    /// so a fresh write by another node survives; returns 1 when it deleted.
    /// </summary>
    public static readonly RedisScript TryDelete = new("""
        local cur = redis.call('HGET', KEYS[1], 'v')
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local valid = cur and string.match(cur, '^[1-9][0-9]*$')
        if ARGV[1] == '0' then
          if valid then return 0 end
        elseif cur ~= ARGV[1] then
          return 0
        end
        redis.call('DEL', KEYS[1])
        redis.call('PUBLISH', ARGV[2], ARGV[3])
        return 1
        """);
}
