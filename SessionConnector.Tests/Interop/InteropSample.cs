using System;
using System.Collections.Generic;
using SessionConnector.Tests.Generators;

namespace SessionConnector.Tests.Interop;

/// <summary>
/// Every member type whose encoding other libraries write differently, under the keys the fixtures use. The members
/// are inherited: the generator stores public base members too, and the other libraries serialize the plain base.
/// </summary>
[SessionData]
public partial class InteropSample : ForeignSample
{
}

/// <summary>The same shape as a plain class, for MessagePack-CSharp's contractless resolver and System.Text.Json.</summary>
public class ForeignSample
{
    public Guid Guid { get; set; }
    public Guid GuidText { get; set; }
    public DateTime DateTime { get; set; }
    public DateTimeOffset DateTimeOffset { get; set; }
    public decimal DecimalText { get; set; }
    public decimal DecimalNumber { get; set; }
    public char Char { get; set; }
    public Color EnumName { get; set; }
    public Color EnumNumber { get; set; }
    public int Int32 { get; set; }
    public string String { get; set; } = "";
    public byte[]? Bytes { get; set; }
    public List<string>? Tags { get; set; }
    public Dictionary<string, int>? Map { get; set; }
    public TimeSpan TimeSpan { get; set; }
    public DateOnly DateOnly { get; set; }
    public TimeOnly TimeOnly { get; set; }
}

/// <summary>The same shape under MessagePack-CSharp's standard resolver, which needs a contract: keyed by property name.</summary>
[MessagePack.MessagePackObject(keyAsPropertyName: true)]
public sealed class StandardSample : ForeignSample
{
}
