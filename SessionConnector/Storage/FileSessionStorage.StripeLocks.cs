using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using SessionConnector.Internal;
using SessionConnector.Storage.Files;

namespace SessionConnector.Storage;

// Stripe locks: keys hash to one of 64 stripes, each held by an in-process gate plus an OS file lock.
public sealed partial class FileSessionStorage
{
    private async ValueTask<StripeLock> LockStripe(int stripe, bool async, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate = _gates[stripe];
        if (async) await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        else gate.Wait(cancellationToken);
        try
        {
            return new StripeLock(gate, await AcquireOsLock(stripe, async, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    private async ValueTask<SafeFileHandle> AcquireOsLock(int stripe, bool async, CancellationToken cancellationToken)
    {
        string path = LockPath(stripe);
        var wait = new SpinWait();
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            if (TryLockFile(path) is { } handle) return handle;
            if (Stopwatch.GetElapsedTime(start) >= LockTimeout)
            {
                throw new SessionStorageException($"Timed out after {LockTimeout.TotalSeconds:F0} s waiting for the lock '{path}' held by another process.");
            }

            if (async) await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            else wait.SpinOnce(sleep1Threshold: 10);
        }
    }

    /// <summary>Opens and exclusively locks a stripe's lock file; null when another process holds it.</summary>
    private static SafeFileHandle? TryLockFile(string path)
    {
        try
        {
            if (!UnixFiles.IsUnix)
            {
                try
                {
                    // FileShare.None is the lock on Windows: a sharing violation means another holder.
                    return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException))
                {
                    return null;
                }
            }

            // O_NOFOLLOW, created 0600: a planted symbolic link is refused, never followed, and the file is ours alone.
            SafeFileHandle handle = UnixFiles.OpenNoFollow(path, write: true, create: true)!;
            try
            {
                // flock: an advisory lock that other processes (and older versions of this store) honour.
                if (UnixFiles.TryLockExclusive(handle, path)) return handle;
            }
            catch
            {
                handle.Dispose();
                throw;
            }

            handle.Dispose();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionStorageException($"Opening the lock file '{path}' failed: {e.Message}", e);
        }
    }

    private string LockPath(int stripe) => Path.Combine(_lockDirectory, stripe.ToString("D2", CultureInfo.InvariantCulture) + ".lock");

    /// <summary>Both locks of a stripe: the in-process gate and the OS file lock.</summary>
    private readonly struct StripeLock(SemaphoreSlim gate, SafeFileHandle osLock) : IDisposable
    {
        public void Dispose()
        {
            osLock.Dispose();
            gate.Release();
        }
    }

    private string RecordPath(string key) => Path.Combine(_directory, key + RecordExtension);

    /// <summary>The start of every keyed operation: arms the sweep once it is due, then checks the key; returns its stripe.</summary>
    private int BeginOperation(string key)
    {
        ArmSweepIfDue();
        return ValidateKey(key);
    }

    private static int ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        // Defence in depth: the connector passes 43-char base64url hashes; anything else must not become a path.
        foreach (char c in key)
        {
            if (!IsKeyChar(c))
            {
                throw new ArgumentException("Storage keys may contain only base64url characters.", nameof(key));
            }
        }

        if (key.Length is 0 or > 128) throw new ArgumentException("Storage keys must be 1 to 128 characters.", nameof(key));
        return StripeOf(key);
    }

    // The key's change-table slot reduced to a stripe: one stable hash (two processes must agree), and every key of a slot
    // is in one stripe, which the table's odd-slot rule relies on (ChangeTable.SlotCount is a multiple of Stripes).
    private static int StripeOf(string key) => Files.ChangeTable.SlotOf(key) % Stripes;

    private static bool IsKeyChar(char c) =>
        (uint)(c - 'a') <= 25 || (uint)(c - 'A') <= 25 || (uint)(c - '0') <= 9 || c == '-' || c == '_';
}
