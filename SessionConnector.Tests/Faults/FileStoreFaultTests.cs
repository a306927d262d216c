using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SessionConnector.Storage;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Faults;

/// <summary>
/// Issue 23, items 2 and 4: a file store whose folder vanished, was replaced or unmounted, and one filled to ENOSPC on a
/// real tmpfs. A missing folder is a typed failure and a logged error, never "no session"; a full disk fails the write
/// with the previous record intact and no temp file left behind, and the store works again once space returns.
/// </summary>
[Collection(FileFaultCollection.Name)]
public sealed class FileStoreFaultTests : IDisposable
{
    private readonly TestConnectors _env = new();

    public void Dispose() => _env.Dispose();

    private (SessionStorageConnector Connector, FaultObserver Observer) Create(string directory)
    {
        var observer = new FaultObserver();
        // No cache: every read reaches the folder, as a read does once the cache has aged out.
        SessionStorageConnector c = _env.Create(new FileSessionStorage(directory, FileDurability.ProcessCrash, _env.Clock), o =>
        {
            o.Observer = observer;
            o.CacheCapacity = 0;
        });
        return (c, observer);
    }

    /// <summary>
    /// The shared change table is a 128 KiB file mapped into memory. Left sparse, the first write to one of its pages needs a
    /// block, and on a full file system the kernel answers that write with SIGBUS: the process died in the middle of a
    /// record write. Its blocks are now allocated when it is opened, so a store opened on a full disk runs without a table.
    /// </summary>
    [Fact]
    public void AStoreOpenedOnAFullDiskRunsWithoutItsChangeTableAndNeverCrashes()
    {
        OnTinyTmpfs("full", mountPoint =>
        {
            string filler = Path.Combine(mountPoint, "filler");
            using (var fill = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                var block = new byte[4096];
                try
                {
                    while (true) fill.Write(block);
                }
                catch (IOException)
                {
                    // Full.
                }
            }

            const string Key = "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
            using var store = new FileSessionStorage(Path.Combine(mountPoint, "store"), FileDurability.PowerLoss, _env.Clock);
            Assert.Null(store.Changes);
            var e = Assert.Throws<SessionStorageException>(() => store.TryWrite(Key, new byte[300], null, SessionStorage.Absent, 1));
            Assert.Contains("No space left on device", e.ToString());

            File.Delete(filler);
            Assert.True(store.TryWrite(Key, new byte[300], null, SessionStorage.Absent, 1));
            Assert.True(store.TryWrite(Key, new byte[300], null, 1, 2));
            Assert.Equal(2, store.Read(Key)!.Value.Version);
        });
    }

    /// <summary>
    /// Runs <paramref name="test"/> on a 512 KiB tmpfs mounted at a fresh folder, unmounted afterwards. Mounting needs root
    /// (CI runs as root; see docs/reliability.md): without it the test does nothing.
    /// </summary>
    private void OnTinyTmpfs(string name, Action<string> test)
    {
        string mountPoint = Path.Combine(_env.Directory, name);
        Directory.CreateDirectory(mountPoint);
        if (!Mounts.TryTmpfs(mountPoint, "512k")) return;
        try
        {
            test(mountPoint);
        }
        finally
        {
            Mounts.Unmount(mountPoint);
        }
    }

    public static TheoryData<string> Replacements => new() { "removed", "file", "empty-folder" };

    [Theory]
    [MemberData(nameof(Replacements))]
    public void AStoreFolderThatVanishedIsATypedErrorNeverNoSessionAndRecoversWhenRestored(string replacement)
    {
        string dir = Path.Combine(_env.Directory, "store");
        string aside = Path.Combine(_env.Directory, "aside");
        (SessionStorageConnector c, FaultObserver observer) = Create(dir);
        using (c)
        {
            string known = SessionStorageConnector.GenerateId();
            Assert.True(c.Set(known, new SessionBag { ["user"] = "ada" }));

            Directory.Move(dir, aside);
            if (replacement == "file") File.WriteAllText(dir, "not a folder");
            if (replacement == "empty-folder") Directory.CreateDirectory(dir);

            SessionStorageException read = Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(known));
            Assert.Equal("read", read.Operation);
            Assert.Contains("is gone", read.Message);
            // A session that never existed is not "absent" either: the store cannot tell.
            Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(SessionStorageConnector.GenerateId()));
            Assert.Throws<SessionStorageException>(() => c.Set(SessionStorageConnector.GenerateId(), new SessionBag { ["user"] = "eve" }));
            Assert.True(observer.Failures.Count >= 3);
            Assert.All(observer.Failures, f => Assert.IsType<SessionStorageException>(f.Exception));

            // Restored (a remount, a backup put back): the acknowledged session is there again.
            if (replacement == "file") File.Delete(dir);
            if (replacement == "empty-folder") Directory.Delete(dir);
            Directory.Move(aside, dir);
            Assert.Equal("ada", c.Get<SessionBag>(known)!["user"]);
        }
    }

    [Fact]
    public void AnUnmountedStoreIsATypedErrorAndRecoversOnRemount()
    {
        string source = Path.Combine(_env.Directory, "disk");
        string mountPoint = Path.Combine(_env.Directory, "mnt");
        Directory.CreateDirectory(source);
        Directory.CreateDirectory(mountPoint);
        if (!Mounts.TryBind(source, mountPoint)) return; // needs root (CI runs as root); see docs/reliability.md
        try
        {
            (SessionStorageConnector c, FaultObserver observer) = Create(mountPoint);
            using (c)
            {
                string known = SessionStorageConnector.GenerateId();
                Assert.True(c.Set(known, new SessionBag { ["user"] = "ada" }));
                Mounts.Unmount(mountPoint); // the mount point is left as an empty folder, as after a lost mount
                Assert.Throws<SessionStorageException>(() => c.Get<SessionBag>(known));
                Assert.Throws<SessionStorageException>(() => c.Set(known, new SessionBag { ["user"] = "eve" }));
                Assert.NotEmpty(observer.Failures);
                Assert.True(Mounts.TryBind(source, mountPoint));
                Assert.Equal("ada", c.Get<SessionBag>(known)!["user"]);
            }
        }
        finally
        {
            Mounts.Unmount(mountPoint);
        }
    }

    [Fact]
    public void AFullDiskFailsWritesTypedKeepsEveryAcknowledgedRecordLeavesNoTempFilesAndRecovers()
    {
        OnTinyTmpfs("tiny", mountPoint =>
        {
            string dir = Path.Combine(mountPoint, "store");
            (SessionStorageConnector c, FaultObserver observer) = Create(dir);
            using (c)
            {
                string payload = new('x', 6000);
                var acknowledged = new Dictionary<string, int>();
                SessionStorageException? full = null;
                for (int i = 0; i < 1000 && full is null; i++)
                {
                    string id = SessionStorageConnector.GenerateId();
                    try
                    {
                        if (c.Set(id, new SessionBag { ["n"] = i, ["pad"] = payload })) acknowledged[id] = i;
                    }
                    catch (SessionStorageException e)
                    {
                        full = e;
                    }
                }

                Assert.NotNull(full);
                Assert.Equal("write", full!.Operation);
                Assert.Equal("file", full.StorageKind);
                Assert.Contains("No space left on device", full.ToString());
                Assert.True(acknowledged.Count > 10, $"{acknowledged.Count} writes fit");

                // Rewriting an existing session while full fails too, and leaves its previous record readable.
                string first = acknowledged.Keys.First();
                Assert.Throws<SessionStorageException>(() => c.Set(first, new SessionBag { ["n"] = -1, ["pad"] = payload + payload }));
                Assert.Empty(Directory.GetFiles(Path.Combine(dir, ".tmp")));
                foreach ((string id, int n) in acknowledged) Assert.Equal(n, Convert.ToInt32(c.Get<SessionBag>(id)!["n"]));
                Assert.NotEmpty(observer.Failures);

                // Space returns (sessions signed out): writes succeed again without a restart.
                foreach (string id in acknowledged.Keys.Skip(1).Take(acknowledged.Count / 2).ToList())
                {
                    Assert.True(c.Delete(id));
                    acknowledged.Remove(id);
                }

                Assert.True(c.Set(first, new SessionBag { ["n"] = 4242, ["pad"] = payload }));
                acknowledged[first] = 4242;
                foreach ((string id, int n) in acknowledged) Assert.Equal(n, Convert.ToInt32(c.Get<SessionBag>(id)!["n"]));
            }
        });
    }
}

/// <summary>Mount tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FileFaultCollection
{
    public const string Name = "file-faults";
}
