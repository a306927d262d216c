using SessionConnector;

namespace WebApi;

/// <summary>What the sample keeps per visitor: who signed in and their counter.</summary>
[SessionData]
public partial class WebSession
{
    /// <summary>The signed-in user; null before login.</summary>
    public string? User { get; set; }

    /// <summary>How many times this user incremented.</summary>
    public int Counter { get; set; }
}
