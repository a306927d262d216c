using System;

namespace SessionConnector.Redis.Tests.Support;

/// <summary>A second node in its own process (this test assembly in <see cref="NodeWorker"/>'s "node" mode), driven line by line.</summary>
public sealed class NodeProcess : IDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;

    public NodeProcess(string endpoint, string prefix, byte[] secret, int waitForReplicas = 0)
    {
        _process = ChildProcess.StartWorker("node", endpoint, prefix, Convert.ToHexString(secret),
            waitForReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string? ready = ReadLine(AnswerTimeout);
        if (ready != "ready")
        {
            _process.Dispose();
            throw new InvalidOperationException($"The helper node said '{ready}' instead of 'ready'; its stderr:\n{StandardError}");
        }
    }

    public void Send(string command) => _process.Send(command);

    /// <summary>The tail of what the helper node wrote to stderr (an unhandled exception, say).</summary>
    public string StandardError => _process.StandardError;

    public string Ask(string command) => _process.Ask(command, AnswerTimeout);

    public string? ReadLine(TimeSpan timeout) => _process.ReadLine(timeout);

    public void Dispose()
    {
        try
        {
            // A clean exit first (it closes its Redis connection); the kill in ChildProcess.Dispose is the fallback.
            _process.Send("quit");
            _process.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // Already gone, or stuck: Dispose kills it.
        }

        _process.Dispose();
    }
}
