using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace SessionConnector.Storage.Files;

/// <summary>
/// Group commit for durable file writes: the writes that arrive while a commit is in flight share the next one. A commit
/// fsyncs every record of its batch, renames them over their records, and fsyncs the directory once. Each writer still
/// holds its stripe's locks (in-process gate and OS lock) until its batch completes, so the compare it made and the rename
/// the batch makes stay one atomic step, and nothing is acknowledged before the directory fsync returned.
/// </summary>
/// <remarks>
/// No thread of its own: the first writer to arrive when no commit is running leads (a lone writer commits its own write
/// on its own thread, as before); writers that arrive meanwhile queue, and when the leader's batch completes, the oldest
/// queued writer leads the next batch with everything queued by then. Batching is per store instance, so per process;
/// writers in other processes fsync on their own (the kernel's journal may still merge their commits).
/// </remarks>
internal sealed class GroupCommit
{
    private readonly FileOperations _ops;
    private readonly string _directory;
    private readonly object _sync = new();
    // Writes waiting for the next commit; guarded by _sync.
    private List<Entry> _queue = new();
    // True from the moment a leader takes the queue until the last batch hands off to nobody; guarded by _sync.
    private bool _leading;
    private long _batches;
    private long _writes;

    public GroupCommit(FileOperations ops, string directory)
    {
        _ops = ops;
        _directory = directory;
    }

    /// <summary>How many commits ran (each one directory fsync); with <see cref="Writes"/>, the average batch size.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>How many writes those commits carried.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Where a write of a batch failed, which decides what its caller is told.</summary>
    public enum Stage
    {
        /// <summary>Durable: the record is renamed into place and the directory fsynced.</summary>
        None,

        /// <summary>Its data fsync (or that of another write of its batch) or its rename failed: nothing was renamed, the previous record is intact.</summary>
        Record,

        /// <summary>Renamed, but the directory fsync failed: the new record may not survive power loss.</summary>
        Directory,
    }

    /// <summary>One write of a batch: its temp file, already written (not yet fsynced), and the record it replaces.</summary>
    public sealed class Entry(string temp, string path)
    {
        public string Temp { get; } = temp;

        public string Path { get; } = path;

        /// <summary>Set by the batch that carried this write; read by its writer once the batch completed.</summary>
        public Stage Failed { get; internal set; }

        public Exception? Error { get; internal set; }

        // Set for a queued writer only: completed with true to make it lead the next batch, false when its batch is done.
        internal TaskCompletionSource<bool>? Turn;
    }

    /// <summary>
    /// Makes <paramref name="entry"/> durable together with whatever else is queued, and returns once its batch completed.
    /// The caller holds the record's stripe locks throughout and reads <see cref="Entry.Failed"/> afterwards.
    /// </summary>
    public async ValueTask CommitAsync(Entry entry, bool async)
    {
        bool lead;
        lock (_sync)
        {
            _queue.Add(entry);
            lead = !_leading;
            _leading = true;
            // Continuations run on the pool, never inline on the leader's thread inside its batch.
            if (!lead) entry.Turn = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        if (!lead)
        {
            Task<bool> turn = entry.Turn!.Task;
            // A sync caller blocks here as it blocked in fsync before: the wait is the fsync in flight plus the next one.
            lead = async ? await turn.ConfigureAwait(false) : turn.GetAwaiter().GetResult();
            if (!lead) return;
        }

        RunBatch();
    }

    /// <summary>Commits everything queued (this leader's own write included), then hands the lead to the next writer.</summary>
    private void RunBatch()
    {
        List<Entry> batch;
        lock (_sync)
        {
            batch = _queue;
            _queue = new List<Entry>();
        }

        try
        {
            Commit(batch);
        }
        catch (Exception error)
        {
            // Not an I/O failure Commit expects: no write of this batch may be acknowledged as durable.
            foreach (Entry e in batch)
            {
                if (e.Failed == Stage.None) Fail(e, Stage.Directory, error);
            }
        }
        finally
        {
            Entry? next = null;
            lock (_sync)
            {
                if (_queue.Count > 0) next = _queue[0];
                else _leading = false;
            }

            // The oldest waiter leads next; everything that queued behind it joins its batch.
            foreach (Entry e in batch) e.Turn?.TrySetResult(false);
            next?.Turn!.TrySetResult(true);
        }
    }

    private void Commit(List<Entry> batch)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _writes, batch.Count);

        // 1. The renames (every record of the batch was fsynced by its writer before it queued): each atomic on its own; a failed one fails only its write (its record is untouched).
        bool renamed = false;
        foreach (Entry e in batch)
        {
            try
            {
                _ops.Rename(e.Temp, e.Path);
                renamed = true;
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                Fail(e, Stage.Record, error);
            }
        }

        // 2. One directory fsync makes every rename above durable.
        if (!renamed) return;
        try
        {
            _ops.FlushDirectory(_directory);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            foreach (Entry e in batch)
            {
                if (e.Failed == Stage.None) Fail(e, Stage.Directory, error);
            }
        }
    }

    /// <summary>Fsyncs every record of the batch; the first failure, or null.</summary>
    private Exception? FlushRecords(List<Entry> batch)
    {
        var streams = new FileStream?[batch.Count];
        try
        {
            // Write-back of all of them first, so one journal commit carries them all (see FileOperations.StartWriteback);
            // fsynced one by one from a single thread, each would otherwise pay its own commit and device flush.
            for (int i = 0; i < batch.Count; i++)
            {
                streams[i] = _ops.OpenWritten(batch[i].Temp);
                _ops.StartWriteback(streams[i]!);
            }

            foreach (FileStream? stream in streams) _ops.Flush(stream!);
            return null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return error;
        }
        finally
        {
            // Closed before the renames: Windows cannot rename an open file.
            foreach (FileStream? stream in streams) stream?.Dispose();
        }
    }

    private void Fail(Entry e, Stage stage, Exception error)
    {
        e.Failed = stage;
        e.Error = error;
        if (stage == Stage.Record) DeleteQuietly(e.Temp);
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort while reporting another failure; the next open removes the orphan.
        }
    }
}
