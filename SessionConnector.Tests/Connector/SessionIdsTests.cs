using System;
using SessionConnector;
using Xunit;

namespace SessionConnector.Tests.Connector;

public sealed class SessionIdsTests
{
    [Fact]
    public void GeneratedIdsAreValidAndDistinct()
    {
        string a = SessionIds.Generate();
        string b = SessionIds.Generate();
        Assert.Equal(43, a.Length);
        Assert.True(SessionIds.IsValid(a));
        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("../etc/passwd")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a b")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    [InlineData("%2e%2e")]
    [InlineData("ünï")]
    [InlineData("аdmin")] // Cyrillic 'а'
    public void IsValidRejectsWhatValidateRejects(string? id)
    {
        Assert.False(SessionIds.IsValid(id));
        if (id is null) Assert.Throws<ArgumentNullException>(() => SessionIds.Validate(id));
        else Assert.Throws<InvalidSessionIdException>(() => SessionIds.Validate(id));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("abc-DEF_123.~")]
    [InlineData("x.y")]
    public void IsValidAcceptsWhatValidateAccepts(string id)
    {
        Assert.True(SessionIds.IsValid(id));
        SessionIds.Validate(id);
    }

    [Fact]
    public void IsValidEnforcesTheLengthLimit()
    {
        Assert.True(SessionIds.IsValid(new string('a', SessionIds.MaxLength)));
        Assert.False(SessionIds.IsValid(new string('a', SessionIds.MaxLength + 1)));
    }
}
