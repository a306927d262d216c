using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace SessionConnector.Generators.Model;

/// <summary>
/// A diagnostic location as plain values. <see cref="Location"/> holds the syntax tree, which would keep
/// the compilation alive and defeat the pipeline's caching.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan TextSpan, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, TextSpan, LineSpan);

    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null)
        {
            return null;
        }

        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }
}
