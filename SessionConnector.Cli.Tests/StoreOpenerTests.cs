using System;
using System.IO;
using Microsoft.Extensions.Time.Testing;
using SessionConnector.Storage;
using Xunit;

namespace SessionConnector.Cli.Tests;

/// <summary>How sessionctl opens a store, in process (the commands themselves are tested against the real binary).</summary>
public sealed class StoreOpenerTests : IDisposable
{
    private const string Key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private readonly string _dir = Directory.CreateTempSubdirectory("sc-cli-open-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AFileStoreOpenedForACommandNeverSweepsInTheBackground()
    {
        using (var writer = new FileSessionStorage(_dir, new FileSessionStorageOptions { TimeProvider = _clock, SweepInterval = TimeSpan.Zero }))
        {
            Assert.True(writer.TryWrite(Key, new byte[] { 1 }, _clock.GetUtcNow().AddSeconds(1), SessionStorage.Absent, 5));
        }

        using (FileSessionStorage store = StoreOpener.OpenFile(_dir, _clock))
        {
            _clock.Advance(TimeSpan.FromHours(1)); // 120 of the default sweep intervals
            Assert.Single(Directory.GetFiles(_dir, "*.session")); // expired, and left for an explicit purge
            Assert.Equal(FileDurability.PowerLoss, store.Durability);
        }

        // What an application's store (the default options) does with the same record: the check above can fail.
        // Its sweep is armed by the first operation an interval after the open (another key: a read of the expired record
        // would remove it itself), and its first tick is due at once.
        using var application = new FileSessionStorage(_dir, new FileSessionStorageOptions { TimeProvider = _clock });
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(application.Read(new string('B', Key.Length)));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(Directory.GetFiles(_dir, "*.session"));
    }
}
