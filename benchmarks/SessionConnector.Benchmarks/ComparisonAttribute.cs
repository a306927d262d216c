using System;

namespace SessionConnector.Benchmarks;

/// <summary>The heading and reading notes of a benchmark class's section in RESULTS.md; sections sort by title.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ComparisonAttribute(string title, string explanation) : Attribute
{
    public string Title { get; } = title;

    public string Explanation { get; } = explanation;
}
