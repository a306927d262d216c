using System;
using System.IO;
using SessionConnector.Storage.Files;
using Xunit;

namespace SessionConnector.Tests.Storage;

/// <summary>
/// The no-follow create behind lock files, on both of its paths: open(2) with O_CREAT and a mode (Linux, x64), and the
/// Apple arm64 path, which creates through the BCL because a variadic mode cannot be passed by a fixed-argument P/Invoke.
/// </summary>
public sealed class UnixFilesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sc-unixfiles-" + Guid.NewGuid().ToString("N"));

    public UnixFilesTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// LibC.BindImports (run before the crypto warm-up's dlopen holds the loader lock): each import's dummy call fails at
    /// once without throwing, and every import works afterwards.
    /// </summary>
    [Fact]
    public void BindingTheImportsAheadThrowsNothingAndLeavesThemWorking()
    {
        if (!OperatingSystem.IsLinux()) return;
        LibC.BindImports();
        LibC.BindImports();
        Assert.True(UnixFiles.TryGetStatus(_dir, out EntryStatus status));
        Assert.Equal(EntryKind.Directory, status.Kind);
        Assert.Equal(UnixFiles.CurrentUserId, status.OwnerId);
        string path = Path.Combine(_dir, "bound");
        using (var created = UnixFiles.OpenNoFollow(path, write: true, create: true))
        {
            Assert.NotNull(created);
        }

        Assert.Equal([path], Directory.GetFileSystemEntries(_dir));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ACreatedFileIsPrivateAndAnExistingOneIsOpenedAsItIs(bool createThroughBcl)
    {
        if (OperatingSystem.IsWindows()) return;
        bool original = UnixFiles.VariadicArgumentsOnStack;
        UnixFiles.VariadicArgumentsOnStack = createThroughBcl;
        try
        {
            string path = Path.Combine(_dir, "lock");
            using (var created = UnixFiles.OpenNoFollow(path, write: true, create: true))
            {
                Assert.NotNull(created);
            }

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            File.WriteAllText(path, "kept");
            using (var again = UnixFiles.OpenNoFollow(path, write: true, create: true))
            {
                Assert.NotNull(again);
            }

            Assert.Equal("kept", File.ReadAllText(path));
        }
        finally
        {
            UnixFiles.VariadicArgumentsOnStack = original;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ASymbolicLinkIsRefusedAndNothingIsCreatedThroughIt(bool createThroughBcl)
    {
        if (OperatingSystem.IsWindows()) return;
        bool original = UnixFiles.VariadicArgumentsOnStack;
        UnixFiles.VariadicArgumentsOnStack = createThroughBcl;
        try
        {
            string target = Path.Combine(_dir, "target");
            string link = Path.Combine(_dir, "link");
            File.CreateSymbolicLink(link, target);

            Assert.ThrowsAny<IOException>(() => UnixFiles.OpenNoFollow(link, write: true, create: true));
            Assert.False(File.Exists(target), "a file was created through the link");
        }
        finally
        {
            UnixFiles.VariadicArgumentsOnStack = original;
        }
    }
}
