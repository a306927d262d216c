using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using SessionConnector.Internal;
using SessionConnector.Storage.Files;

namespace SessionConnector.Storage;

// Store maintenance: a walk over the record files and a compare-and-set delete under the key's stripe lock.
public sealed partial class FileSessionStorage
{
    /// <inheritdoc />
    /// <remarks>
    /// Lists <c>*.session</c> files lazily (never the whole directory at once) and reads each one; a file deleted
    /// between the listing and the read is skipped. <paramref name="batchSize"/> only bounds how many files are read ahead.
    /// </remarks>
    public override IAsyncEnumerable<KeyValuePair<string, StoredRecord>> EnumerateAsync(int batchSize = 256, CancellationToken cancellationToken = default) =>
        Walk(batchSize, passLiveAt: null, cancellationToken);

    /// <inheritdoc />
    /// <remarks>A record whose live slot's header says it has not expired is passed by unread (see ClaimsUnexpired).</remarks>
    internal override IAsyncEnumerable<KeyValuePair<string, StoredRecord>> EnumerateForPurgeAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) =>
        Walk(batchSize, now, cancellationToken);

    private static readonly StoredRecord LiveUnread = new(Array.Empty<byte>(), 0, null);

    private async IAsyncEnumerable<KeyValuePair<string, StoredRecord>> Walk(int batchSize, DateTimeOffset? passLiveAt, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ValidateBatchSize(batchSize);
        IEnumerator<string> files;
        try
        {
            files = Directory.EnumerateFiles(_directory, "*" + RecordExtension).GetEnumerator();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Listing the session records in '{_directory}' failed.", e);
        }

        using (files)
        {
            while (true)
            {
                string file;
                try
                {
                    if (!files.MoveNext()) yield break;
                    file = files.Current;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new SessionStorageException($"Listing the session records in '{_directory}' failed.", e);
                }

                cancellationToken.ThrowIfCancellationRequested();
                string key = Path.GetFileNameWithoutExtension(file);
                if (!IsStorageKeyShape(key)) continue; // not a record this store wrote
                byte[]? bytes;
                if (passLiveAt is { } now)
                {
                    (bool live, bytes) = await ReadForPurge(file, now, cancellationToken).ConfigureAwait(false);
                    if (live)
                    {
                        yield return new KeyValuePair<string, StoredRecord>(key, LiveUnread);
                        continue;
                    }
                }
                else
                {
                    bytes = await ReadRecordFile(file, locked: false, async: true, cancellationToken).ConfigureAwait(false);
                }

                if (bytes is not null && !TryParse(bytes, out _, out _, out _, out _))
                {
                    // Garbage, or a new record that a reader found before its creator finished it (it is created at its own
                    // path, see CreateInPlace). The creator holds the stripe's locks until the file is whole, so a read under
                    // them tells the two apart: maintenance never counts a create in flight as a damaged record. Rare, so the
                    // wait costs a listing nothing otherwise.
                    bytes = await ReadLockedAsync(key, file, cancellationToken).ConfigureAwait(false);
                }

                if (bytes is null) continue;
                yield return new KeyValuePair<string, StoredRecord>(key, ToRawRecord(bytes));
            }
        }
    }

    /// <summary>
    /// The purge walk's read: one open for the first look (ClaimsUnexpired) and, when that cannot pass the record by (no
    /// expiry, say), the whole record from the same handle, so such a record costs two small reads more, not a second open.
    /// </summary>
    private static async ValueTask<(bool Live, byte[]? Bytes)> ReadForPurge(string path, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            using SafeFileHandle? handle = OpenForRead(path, async: true);
            if (handle is null) return (false, null);
            if (ClaimsUnexpired(handle, now)) return (true, null);
            return (false, (await ReadImage(handle, locked: false, async: true, cancellationToken).ConfigureAwait(false)).Image);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Reading the session record '{path}' failed: {e.Message}", e);
        }
    }

    private async ValueTask<byte[]?> ReadLockedAsync(string key, string path, CancellationToken cancellationToken)
    {
        using StripeLock held = await LockStripe(StripeOf(key), async: true, cancellationToken).ConfigureAwait(false);
        return await ReadRecordFile(path, locked: true, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override bool TryDelete(string key, long expectedVersion) => Sync.Result(TryDeleteCore(key, expectedVersion, async: false, default));

    /// <inheritdoc />
    public override ValueTask<bool> TryDeleteAsync(string key, long expectedVersion, CancellationToken cancellationToken = default) =>
        TryDeleteCore(key, expectedVersion, async: true, cancellationToken);

    private async ValueTask<bool> TryDeleteCore(string key, long expectedVersion, bool async, CancellationToken cancellationToken)
    {
        int stripe = BeginOperation(key);
        // Under the stripe's OS lock no writer of any process can replace the file between the compare and the unlink.
        using StripeLock held = await LockStripe(stripe, async, cancellationToken).ConfigureAwait(false);
        // A durable delete blocks in the directory fsync: off the thread pool like a durable write (see WriteCore). Run on a
        // pool thread, a purge's parallel deletes waited for the 2-core pool to grow, and the kernel saw few fsyncs to merge.
        if (async && _durable) return await DurableIoThreads.Run(() => TryDeleteLocked(key, expectedVersion)).ConfigureAwait(false);
        return TryDeleteLocked(key, expectedVersion);
    }

    private bool TryDeleteLocked(string key, long expectedVersion)
    {
        string path = RecordPath(key);
        byte[]? bytes = Sync.Result(ReadRecordFile(path, locked: true, async: false, CancellationToken.None));
        if (bytes is null || ToRawRecord(bytes).Version != expectedVersion) return false;
        DeleteRecordFile(key, path);
        FlushDirectoryIfDurable($"deleted ('{path}')");
        return true;
    }

    /// <summary>The record as stored, expired or not; version 0 with the raw bytes when the container does not parse.</summary>
    private static StoredRecord ToRawRecord(byte[] bytes) =>
        TryParse(bytes, out long version, out DateTimeOffset? expiresAt, out int offset, out int length)
            ? new StoredRecord(bytes.AsSpan(offset, length).ToArray(), version, expiresAt)
            : new StoredRecord(bytes, 0, null);

    private static bool IsStorageKeyShape(string key)
    {
        if (key.Length is 0 or > 128) return false;
        foreach (char c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return false;
        }

        return true;
    }
}
