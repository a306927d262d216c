using System;
using System.Net.Sockets;

namespace SessionConnector.Benchmarks;

/// <summary>Comparison 7 runs only when SESSIONCONNECTOR_REDIS=host:port answers (scripts/bench.sh starts a throwaway server).</summary>
internal static class RedisAvailability
{
    public const string Variable = "SESSIONCONNECTOR_REDIS";

    public static string? Endpoint => Environment.GetEnvironmentVariable(Variable);

    /// <summary>Null when the Redis benchmarks can run; otherwise why not.</summary>
    public static string? WhyUnavailable()
    {
        string? endpoint = Endpoint;
        if (string.IsNullOrWhiteSpace(endpoint)) return $"{Variable} is not set (e.g. {Variable}=127.0.0.1:6379).";
        int colon = endpoint.LastIndexOf(':');
        string host = colon > 0 ? endpoint[..colon] : endpoint;
        int port = colon > 0 && int.TryParse(endpoint[(colon + 1)..], out int p) ? p : 6379;
        try
        {
            using var client = new TcpClient();
            if (!client.ConnectAsync(host, port).Wait(TimeSpan.FromSeconds(2))) return $"no Redis server answered at {endpoint} within 2 s.";
            return null;
        }
        catch (Exception e) when (e is SocketException or AggregateException)
        {
            return $"no Redis server reachable at {endpoint} ({e.GetBaseException().Message}).";
        }
    }
}
