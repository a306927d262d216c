using SessionConnector;

namespace Function;

/// <summary>The function's whole session: how often this browser called it.</summary>
[SessionData]
public sealed partial class Visits
{
    public int Count { get; set; }
}
