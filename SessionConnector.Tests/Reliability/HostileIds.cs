using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using SessionConnector;
using Xunit;

namespace SessionConnector.Tests.Reliability;

/// <summary>A corpus of hostile session IDs and a file-tree snapshot that notices any file created, changed, read or removed.</summary>
internal static class HostileIds
{
    /// <summary>IDs that must be rejected. Null must raise ArgumentNullException, the rest InvalidSessionIdException.</summary>
    public static IEnumerable<string?> Corpus(string canaryPath)
    {
        yield return null;
        yield return "";
        yield return " ";
        yield return "\t";
        yield return "\r\n";
        yield return " abc";
        yield return "abc ";
        yield return "a b";
        yield return "\u00a0";        // no-break space
        yield return "\u200b";        // zero-width space
        yield return "\ufeffabc";     // BOM
        yield return ".";
        yield return "..";
        yield return "...";
        yield return ".hidden";
        yield return "../";
        yield return "..\\";
        yield return "../x";
        yield return "..\\x";
        yield return "../../../../../../etc/passwd";
        yield return "..\\..\\..\\windows\\win.ini";
        yield return "a/../../b";
        yield return "a/b";
        yield return "a\\b";
        yield return "/";
        yield return "\\";
        yield return "/etc/passwd";
        yield return "C:\\Windows\\win.ini";
        yield return "C:";
        yield return "\\\\server\\share";
        yield return "//server/share";
        yield return "file:///etc/passwd";
        yield return canaryPath;
        yield return "../canary.txt";
        yield return "../../canary.txt";
        yield return "~/.ssh/id_rsa";
        yield return "%2e%2e%2f";
        yield return "%2E%2E%5C";
        yield return "%252e%252e%252f";       // double-encoded
        yield return "..%2f..%2fcanary.txt";
        yield return "%00";
        yield return "..%c0%af";               // overlong UTF-8 '/'
        yield return "..%u2215";
        yield return "a\0";
        yield return "\0";
        yield return "abc\0.session";
        yield return "\u0001";
        yield return "\u001f";
        yield return "\u007f";
        yield return "\u0085";
        yield return "\u2028";
        yield return "\uff0e\uff0e\uff0f";   // fullwidth ../
        yield return "\uff0e\uff0e\uff3c";   // fullwidth ..\
        yield return "\u2024\u2024/";         // one-dot leaders
        yield return "\u2215";                // division slash
        yield return "\u2044";                // fraction slash
        yield return "\u29f5";                // reverse solidus operator
        yield return "\ufe68";                // small reverse solidus
        yield return "\u0430dmin";            // Cyrillic a
        yield return "caf\u00e9";
        yield return "e\u0301";               // combining accent
        yield return "\ud800";                // lone surrogate
        yield return "\udc00abc";
        yield return "\ud83d\ude00";          // emoji
        yield return "abc:def";
        yield return "abc*";
        yield return "abc?";
        yield return "a|b";
        yield return "<script>";
        yield return "a\"b";
        yield return "a'b";
        yield return "a;rm -rf";
        yield return "$(id)";
        yield return "a+b";
        yield return "a=b";
        yield return "a,b";
        yield return "a#b";
        yield return "a@b";
        yield return new string('a', 257);
        yield return new string('a', 10 * 1024);
        yield return new string('.', 10 * 1024);
        yield return string.Concat(Enumerable.Repeat("../", 3400));
        yield return new string('/', 10 * 1024);
        yield return new string('\0', 10 * 1024);
        yield return new string('\uff0f', 10 * 1024);
    }

    /// <summary>IDs that look odd but are valid (and must stay inside the store).</summary>
    public static readonly string[] OddButValid =
    {
        "a", "-", "_", "~", "a.", "a..b", "a.b.c", "CON", "NUL", "aux", "COM1", "LPT1", "prn.txt", "a~1", "-rf", "--", "__proto__",
        "constructor", "0", new string('z', 256), "A_b-C.d~E",
    };

    public static async Task<Exception?> Capture(Func<Task> call)
    {
        try
        {
            await call();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    public static void AssertRejectedExactly(string? id, string entryPoint, Exception? e)
    {
        Type expected = id is null ? typeof(ArgumentNullException) : typeof(InvalidSessionIdException);
        string shown = id is null ? "null" : id.Length > 40 ? $"<{id.Length} chars starting {Escape(id[..10])}>" : Escape(id);
        Assert.True(e is not null && e.GetType() == expected,
            $"{entryPoint}({shown}) should throw {expected.Name} but " + (e is null ? "returned normally" : $"threw {e.GetType().Name}: {e.Message}"));
    }

    private static string Escape(string s) => string.Concat(s.Select(ch => ch is < ' ' or > '~' ? $"\\u{(int)ch:x4}" : ch.ToString()));
}

/// <summary>Every file and directory under a root with its size and timestamps; atimes are set old so a read updates them (relatime).</summary>
internal sealed class TreeSnapshot
{
    private readonly Dictionary<string, (long Length, DateTime Modified, DateTime Accessed)> _entries;

    private TreeSnapshot(Dictionary<string, (long, DateTime, DateTime)> entries) => _entries = entries;

    public static TreeSnapshot Take(string root, string? exclude = null)
    {
        var entries = new Dictionary<string, (long, DateTime, DateTime)>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (exclude is not null && (path == exclude || path.StartsWith(exclude + Path.DirectorySeparatorChar, StringComparison.Ordinal))) continue;
            var info = new FileInfo(path);
            bool isDirectory = (info.Attributes & FileAttributes.Directory) != 0;
            // Directory atimes change when we list them ourselves; compare their mtimes (entries added/removed) only.
            entries[path] = isDirectory
                ? (-1, Directory.GetLastWriteTimeUtc(path), default)
                : (info.Length, info.LastWriteTimeUtc, info.LastAccessTimeUtc);
        }

        return new TreeSnapshot(entries);
    }

    /// <summary>Pushes every file's atime three days back, so that under relatime any later read moves it.</summary>
    public static void AgeAccessTimes(string root)
    {
        foreach (string file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            File.SetLastAccessTimeUtc(file, DateTime.UtcNow.AddDays(-3));
        }
    }

    /// <summary>True when reading a file on this file system moves its atime (not the case under noatime).</summary>
    public static bool AccessTimesTracked(string directory)
    {
        string probe = Path.Combine(directory, "atime-probe-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(probe, "probe");
        File.SetLastAccessTimeUtc(probe, DateTime.UtcNow.AddDays(-3));
        DateTime before = File.GetLastAccessTimeUtc(probe);
        _ = File.ReadAllBytes(probe);
        bool tracked = File.GetLastAccessTimeUtc(probe) != before;
        File.Delete(probe);
        return tracked;
    }

    public IReadOnlyList<string> Differences(TreeSnapshot after)
    {
        var diffs = new List<string>();
        foreach ((string path, var was) in _entries)
        {
            if (!after._entries.TryGetValue(path, out var now)) diffs.Add("removed: " + path);
            else if (was.Length != now.Length || was.Modified != now.Modified) diffs.Add("modified: " + path);
            else if (was.Accessed != now.Accessed) diffs.Add("read: " + path);
        }

        foreach (string path in after._entries.Keys)
        {
            if (!_entries.ContainsKey(path)) diffs.Add("created: " + path);
        }

        return diffs;
    }
}
