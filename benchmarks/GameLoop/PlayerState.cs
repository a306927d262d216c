using SessionConnector;

namespace GameLoop;

/// <summary>A small player session as a game keeps one: position, score, a tick counter.</summary>
[SessionData]
public sealed partial class PlayerState
{
    public string? Player { get; set; }
    public int X { get; set; }
    public int Y { get; set; }
    public long Score { get; set; }
    public long Ticks { get; set; }
}
