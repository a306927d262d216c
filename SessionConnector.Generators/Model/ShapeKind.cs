namespace SessionConnector.Generators.Model;

/// <summary>How a member's type is encoded; every kind has a MessagePack, JSON and deep-copy form.</summary>
internal enum ShapeKind
{
    Boolean,
    SByte,
    Byte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,
    Decimal,
    Char,
    String,
    Enum,
    Guid,
    DateTime,
    DateTimeOffset,
    TimeSpan,
    DateOnly,
    TimeOnly,
    ByteArray,
    Nullable,
    Array,
    List,
    HashSet,
    Dictionary,
    SessionData,
}
