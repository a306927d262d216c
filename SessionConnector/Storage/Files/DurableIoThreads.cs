using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.Storage.Files;

/// <summary>
/// A small set of dedicated threads for the blocking part of durable async writes (write, fsync, rename, directory fsync).
/// </summary>
/// <remarks>
/// Why: on Unix the BCL has no asynchronous file I/O, so an "async" write that fsyncs blocks whichever thread runs it for
/// the whole flush (milliseconds). Run inline, that is a thread-pool thread; a 2-core machine starts its pool at 2 threads
/// and adds more only slowly, so a web app's concurrent durable writes queued behind a handful of blocked pool threads and
/// the kernel, which merges concurrent fsyncs into one journal commit, never saw more than a few at a time (issue 27: 16
/// connections, 16 sessions, ~0.4–0.7k writes/s with ~18 threads in the process, against ~1.6–2.3k for 16 writers on the
/// store alone). Here up to <see cref="MaxThreads"/> writes are in flight at once and the pool stays free for requests.
/// Threads start on demand (one more whenever a write arrives and none is idle) and live as long as the process; a process
/// that never writes durably asynchronously starts none. Nothing about durability changes: the caller still holds its
/// stripe lock and awaits the write, which completes (or fails with the write's exception) only after the fsyncs.
/// </remarks>
internal static class DurableIoThreads
{
    /// <summary>The most writes in flight: enough for the kernel to merge 16 concurrent writers' fsyncs, few enough to stay cheap.</summary>
    internal const int MaxThreads = 16;

    private static readonly ConcurrentQueue<WorkItem> Queue = new();
    private static readonly SemaphoreSlim Ready = new(0, int.MaxValue);
    private static int _threads;
    private static int _idle;
    private static int _queued;

    /// <summary>Runs <paramref name="work"/> on a durable-I/O thread; the task completes with its result or its exception.</summary>
    public static Task<bool> Run(Func<bool> work)
    {
        var item = new WorkItem(work);
        Queue.Enqueue(item);
        // One more thread when this write would otherwise wait for a busy one (the counts are approximate under races, which
        // costs at most a brief wait for a thread already running, never a lost item: every item is signalled below).
        if (Interlocked.Increment(ref _queued) > Volatile.Read(ref _idle)) TryStartThread();
        Ready.Release();
        return item.Completion.Task;
    }

    private static void TryStartThread()
    {
        int count = Volatile.Read(ref _threads);
        while (count < MaxThreads)
        {
            int seen = Interlocked.CompareExchange(ref _threads, count + 1, count);
            if (seen == count)
            {
                // Background: a pending write never keeps a process alive that is exiting (its caller is awaiting it anyway).
                var thread = new Thread(Loop) { IsBackground = true, Name = "SessionConnector durable I/O" };
                thread.UnsafeStart();
                return;
            }

            count = seen;
        }
    }

    private static void Loop()
    {
        while (true)
        {
            Interlocked.Increment(ref _idle);
            Ready.Wait();
            Interlocked.Decrement(ref _idle);
            if (!Queue.TryDequeue(out WorkItem? item)) continue; // cannot happen: one release per enqueued item
            Interlocked.Decrement(ref _queued);
            item.Execute();
        }
    }

    private sealed class WorkItem(Func<bool> work)
    {
        // Continuations go to the pool, not inline here: this thread returns to I/O at once.
        public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Execute()
        {
            try
            {
                Completion.SetResult(work());
            }
            catch (Exception e)
            {
                Completion.SetException(e);
            }
        }
    }
}
