using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using SessionConnector.Tests.Support;
using Xunit;

namespace SessionConnector.Tests.Structure;

/// <summary>
/// Folder = namespace in every shipped package: a file under <c>Storage/</c> of the core project declares
/// <c>SessionConnector.Storage</c>, a file at the project root declares <c>SessionConnector</c>. A reader then finds a
/// type from its namespace alone, and a folder never hides a second namespace. (IDE0130 checks the same thing, but only
/// as an IDE suggestion unless code-style enforcement is switched on for every project; a test covers all packages.)
/// </summary>
public sealed partial class FolderNamespaceTests
{
    public static TheoryData<string> Packages => new()
    {
        "SessionConnector",
        "SessionConnector.AspNetCore",
        "SessionConnector.Redis",
        "SessionConnector.Postgres",
        "SessionConnector.Cli",
    };

    [Theory]
    [MemberData(nameof(Packages))]
    public void EachFileDeclaresTheNamespaceOfItsFolder(string package)
    {
        var projectDirectory = SourceTree.Path("..", package);
        var rootNamespace = RootNamespaceOf(projectDirectory, package);
        var files = Directory.EnumerateFiles(projectDirectory, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(projectDirectory, f))
            .Where(f => !IsBuildOutput(f))
            .Select(f => (f, File.ReadAllText(Path.Combine(projectDirectory, f))))
            .ToList();

        Assert.NotEmpty(files);
        var violations = Violations(rootNamespace, files);
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void ReportsAFileWhoseNamespaceIsNotItsFolder()
    {
        // The check itself can fail: a root-namespace type filed under Connector/ (the state before issue 21 item 6),
        // a second namespace in one file, and a file with no namespace are all reported; matching files are not.
        var files = new List<(string, string)>
        {
            ("Sessions.cs", "namespace SessionConnector;\npublic static class Sessions { }"),
            (Path.Combine("Storage", "Files", "LibC.cs"), "namespace SessionConnector.Storage.Files\n{\n}"),
            (Path.Combine("Connector", "SessionIds.cs"), "namespace SessionConnector;\npublic static class SessionIds { }"),
            ("Two.cs", "namespace SessionConnector { }\nnamespace SessionConnector.Other { }"),
            ("None.cs", "public class NoNamespace { }"),
        };

        var violations = Violations("SessionConnector", files);

        Assert.Equal(3, violations.Count);
        Assert.Contains(violations, v => v.Contains("SessionIds.cs", StringComparison.Ordinal)
            && v.Contains("SessionConnector.Connector", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("Two.cs", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("None.cs", StringComparison.Ordinal));
    }

    // One entry per file whose namespace declarations are not exactly { rootNamespace + "." + folder path }.
    private static List<string> Violations(string rootNamespace, IEnumerable<(string RelativePath, string Text)> files)
    {
        var violations = new List<string>();
        foreach (var (path, text) in files)
        {
            var folder = Path.GetDirectoryName(path) ?? "";
            var expected = folder.Length == 0
                ? rootNamespace
                : rootNamespace + "." + folder.Replace(Path.DirectorySeparatorChar, '.');
            var declared = NamespaceDeclaration().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();
            if (declared.Count != 1 || declared[0] != expected)
            {
                violations.Add($"{path}: declares [{string.Join(", ", declared)}], folder says {expected}");
            }
        }

        return violations;
    }

    private static string RootNamespaceOf(string projectDirectory, string package)
    {
        var project = File.ReadAllText(Path.Combine(projectDirectory, package + ".csproj"));
        var match = Regex.Match(project, "<RootNamespace>([^<]+)</RootNamespace>");
        return match.Success ? match.Groups[1].Value : package;
    }

    private static bool IsBuildOutput(string relativePath)
    {
        var first = relativePath.Split(Path.DirectorySeparatorChar)[0];
        return first is "bin" or "obj";
    }

    // A namespace declaration at the start of a line (file-scoped or block); comments and strings do not start lines
    // with the keyword in this code base.
    [GeneratedRegex(@"^namespace\s+([A-Za-z_][A-Za-z0-9_.]*)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();
}
