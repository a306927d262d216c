using SessionConnector;

namespace GameServer;

/// <summary>A player's state, kept in the session: who signed in and where they stand.</summary>
[SessionData]
public partial class Player
{
    /// <summary>The player's name; null before login.</summary>
    public string? Name { get; set; }

    /// <summary>Horizontal position.</summary>
    public int X { get; set; }

    /// <summary>Vertical position.</summary>
    public int Y { get; set; }

    /// <summary>How many moves the player made.</summary>
    public int Moves { get; set; }
}
