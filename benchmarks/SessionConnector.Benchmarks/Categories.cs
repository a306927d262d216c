namespace SessionConnector.Benchmarks;

internal static class Categories
{
    public const string CacheHit = "1-CacheHit";
    public const string Connector = "3-Connector";
    public const string ConnectorGet = "3-Get";
    public const string ConnectorSet = "3-Set";
    public const string ConnectorRead = "3-Read";
    public const string Envelope = "4-Envelope";
    public const string Serializer = "5-Serializer";
    public const string FileWrite = "6-FileWrite";
    public const string Redis = "7-Redis";
    public const string SetBreakdown = "3-SetBreakdown";
}
