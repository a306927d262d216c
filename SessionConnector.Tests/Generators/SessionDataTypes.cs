using System;
using System.Collections.Generic;

// Real [SessionData] types, compiled by the generator as an analyzer of this test project.
namespace SessionConnector.Tests.Generators;

public enum Color
{
    Red,
    Green = 5,
    Blue = 200,
}

public enum BigFlags : ulong
{
    None = 0,
    High = 0x8000000000000000,
}

public enum SmallEnum : sbyte
{
    Negative = -5,
    Positive = 7,
}

[SessionData]
public partial class AllTypes
{
    public bool Bool { get; set; }
    public sbyte SByte { get; set; }
    public byte Byte { get; set; }
    public short Int16 { get; set; }
    public ushort UInt16 { get; set; }
    public int Int32 { get; set; }
    public uint UInt32 { get; set; }
    public long Int64 { get; set; }
    public ulong UInt64 { get; set; }
    public float Single { get; set; }
    public double Double { get; set; }
    public decimal Decimal { get; set; }
    public char Char { get; set; }
    public string String { get; set; } = "";
    public string? NullableString { get; set; }
    public Color Color { get; set; }
    public BigFlags Flags { get; set; }
    public SmallEnum Small { get; set; }
    public Guid Guid { get; set; }
    public DateTime DateTime { get; set; }
    public DateTimeOffset DateTimeOffset { get; set; }
    public TimeSpan TimeSpan { get; set; }
    public DateOnly DateOnly { get; set; }
    public TimeOnly TimeOnly { get; set; }
    public byte[]? Bytes { get; set; }
    public int? NullableInt { get; set; }
    public Color? NullableColor { get; set; }
    public DateTime? NullableDateTime { get; set; }
    public int[]? IntArray { get; set; }
    public string?[]? StringArray { get; set; }
    public List<string>? StringList { get; set; }
    public HashSet<int>? IntSet { get; set; }
    public Dictionary<string, int>? Map { get; set; }
    public Item? SingleItem { get; set; }
    public List<Item>? Items { get; set; }
    public Item[]? ItemArray { get; set; }
    public Dictionary<string, Item>? ItemMap { get; set; }
    public List<List<int>>? NestedLists { get; set; }
    public int[][]? Jagged { get; set; }
    public Point Position { get; set; }
    public Point? MaybePosition { get; set; }
    public Dictionary<string, List<Item?>>? Complex { get; set; }
    public int Field;
    public int @event { get; set; }
    public int Computed => Int32 * 2;
}

[SessionData]
public partial class Item
{
    public string Name { get; set; } = "";
    public int Count { get; set; }
    public List<string> Tags { get; set; } = [];
}

[SessionData]
public partial struct Point
{
    public int X;
    public int Y;
}

[SessionData]
public partial record Profile(string Name, int Age, List<string>? Aliases = null)
{
    public int Level { get; set; }
    public string Title { get; init; } = "none";
}

[SessionData]
public partial record struct Money(decimal Amount, string Currency);

[SessionData]
public partial class InitOnly
{
    public int A { get; init; } = 42;
    public string B { get; init; } = "b";
    public List<int> C { get; set; } = [1, 2];
}

[SessionData]
public partial class TreeNode
{
    public int Value { get; set; }
    public List<TreeNode>? Children { get; set; }
    public TreeNode? Next { get; set; }
}

[SessionData]
public partial class PlayerSession
{
    public long PlayerId { get; set; }
    public int Level { get; set; }
    public List<Item> Inventory { get; set; } = [];
}

[SessionData]
public partial class WithIgnored
{
    public int Kept { get; set; }
    [SessionIgnore]
    public int Ignored { get; set; }
    public int Computed => Kept * 2;
}

[SessionData]
public partial class PlayerV1
{
    public long PlayerId { get; set; }
    public string Name { get; set; } = "";
    public int Gold { get; set; }
    public List<Item>? Removed { get; set; }
}

/// <summary>V1 evolved: Name renamed to DisplayName (stored key kept), Removed dropped, Gems added, order changed.</summary>
[SessionData]
public partial class PlayerV2
{
    public int Gold { get; set; }
    public int Gems { get; set; } = 7;
    [SessionKey("Name")]
    public string DisplayName { get; set; } = "unset";
    public long PlayerId { get; set; }
}

public static partial class Outer
{
    [SessionData]
    public partial class Inner
    {
        public int X { get; set; }
    }
}

[SessionData]
public partial class WithRequired
{
    public required string Name { get; set; }
    public required int Count { get; init; }
    public int Other { get; set; } = 3;
}

[SessionData]
public readonly partial struct Vector
{
    public Vector(int x, string label)
    {
        X = x;
        Label = label;
    }

    public int X { get; }
    public string Label { get; }
}

[SessionData]
public partial record RenamedRecord([SessionKey("n")] string Name, int Age);

[SessionData]
public partial class EmptySession
{
}

public class SessionBase
{
    public int BaseValue { get; set; }
}

[SessionData]
public partial class DerivedSession : SessionBase
{
    public string Own { get; set; } = "";
}

// More members than ReadKey's 64 "already read" bits: members from the 65th on keep a flag each.
[SessionData]
public partial class WideSession
{
    public int M0 { get; set; }
    public int M1 { get; set; }
    public int M2 { get; set; }
    public int M3 { get; set; }
    public int M4 { get; set; }
    public int M5 { get; set; }
    public int M6 { get; set; }
    public int M7 { get; set; }
    public int M8 { get; set; }
    public int M9 { get; set; }
    public int M10 { get; set; }
    public int M11 { get; set; }
    public int M12 { get; set; }
    public int M13 { get; set; }
    public int M14 { get; set; }
    public int M15 { get; set; }
    public int M16 { get; set; }
    public int M17 { get; set; }
    public int M18 { get; set; }
    public int M19 { get; set; }
    public int M20 { get; set; }
    public int M21 { get; set; }
    public int M22 { get; set; }
    public int M23 { get; set; }
    public int M24 { get; set; }
    public int M25 { get; set; }
    public int M26 { get; set; }
    public int M27 { get; set; }
    public int M28 { get; set; }
    public int M29 { get; set; }
    public int M30 { get; set; }
    public int M31 { get; set; }
    public int M32 { get; set; }
    public int M33 { get; set; }
    public int M34 { get; set; }
    public int M35 { get; set; }
    public int M36 { get; set; }
    public int M37 { get; set; }
    public int M38 { get; set; }
    public int M39 { get; set; }
    public int M40 { get; set; }
    public int M41 { get; set; }
    public int M42 { get; set; }
    public int M43 { get; set; }
    public int M44 { get; set; }
    public int M45 { get; set; }
    public int M46 { get; set; }
    public int M47 { get; set; }
    public int M48 { get; set; }
    public int M49 { get; set; }
    public int M50 { get; set; }
    public int M51 { get; set; }
    public int M52 { get; set; }
    public int M53 { get; set; }
    public int M54 { get; set; }
    public int M55 { get; set; }
    public int M56 { get; set; }
    public int M57 { get; set; }
    public int M58 { get; set; }
    public int M59 { get; set; }
    public int M60 { get; set; }
    public int M61 { get; set; }
    public int M62 { get; set; }
    public int M63 { get; set; }
    public int M64 { get; set; }
    public int M65 { get; set; }
}

// As WideSession, with init members on both sides of the 64th (built after reading, from the "had it" bits and flags).
[SessionData]
public partial class WideInitSession
{
    public int M0 { get; init; }
    public int M1 { get; set; }
    public int M2 { get; set; }
    public int M3 { get; set; }
    public int M4 { get; set; }
    public int M5 { get; set; }
    public int M6 { get; set; }
    public int M7 { get; set; }
    public int M8 { get; set; }
    public int M9 { get; set; }
    public int M10 { get; set; }
    public int M11 { get; set; }
    public int M12 { get; set; }
    public int M13 { get; set; }
    public int M14 { get; set; }
    public int M15 { get; set; }
    public int M16 { get; set; }
    public int M17 { get; set; }
    public int M18 { get; set; }
    public int M19 { get; set; }
    public int M20 { get; set; }
    public int M21 { get; set; }
    public int M22 { get; set; }
    public int M23 { get; set; }
    public int M24 { get; set; }
    public int M25 { get; set; }
    public int M26 { get; set; }
    public int M27 { get; set; }
    public int M28 { get; set; }
    public int M29 { get; set; }
    public int M30 { get; set; }
    public int M31 { get; set; }
    public int M32 { get; set; }
    public int M33 { get; set; }
    public int M34 { get; set; }
    public int M35 { get; set; }
    public int M36 { get; set; }
    public int M37 { get; set; }
    public int M38 { get; set; }
    public int M39 { get; set; }
    public int M40 { get; set; }
    public int M41 { get; set; }
    public int M42 { get; set; }
    public int M43 { get; set; }
    public int M44 { get; set; }
    public int M45 { get; set; }
    public int M46 { get; set; }
    public int M47 { get; set; }
    public int M48 { get; set; }
    public int M49 { get; set; }
    public int M50 { get; set; }
    public int M51 { get; set; }
    public int M52 { get; set; }
    public int M53 { get; set; }
    public int M54 { get; set; }
    public int M55 { get; set; }
    public int M56 { get; set; }
    public int M57 { get; set; }
    public int M58 { get; set; }
    public int M59 { get; set; }
    public int M60 { get; set; }
    public int M61 { get; set; }
    public int M62 { get; set; }
    public int M63 { get; set; }
    public int M64 { get; init; }
    public int M65 { get; init; } = -1;
}
