using System;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using GameServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SessionConnector.AspNetCore;

// A NativeAOT game server on SessionConnector. The session token travels in "Authorization: Bearer …" (returned in the
// Session-Token response header), never in a cookie. Login returns a resume token; a client whose connection dropped
// trades it at /resume for its session and the next token. /play is a WebSocket bound to the session: every tick reads
// the player through the zero-copy view, moves are compare-and-set updates, and a sign-out (on any node) closes it.
// Keys come from SESSIONCONNECTOR_KEYS or SessionConnector:Keys; without one only the Development environment starts.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddSessionConnector(builder.Configuration, o => o.UseHeaderTransport());

var app = builder.Build();
app.UseWebSockets();
app.UseSessionConnector();

app.MapGet("/ping", () => Results.Text("pong"));

app.MapPost("/login", async (HttpContext context, string name) =>
{
    RequestSession<Player> session = context.GetSession<Player>();
    Player player = await session.GetAsync();
    player.Name = name;
    // A new token at login (one planted before it is worthless), bound to the player's principal, so a sign out
    // everywhere ends this session, its resume tokens and its sockets on every node. The name stands in for an account id.
    await session.RenewAsync(principalId: name);
    return Results.Text(await session.IssueResumeTokenAsync());
});

app.MapPost("/resume", async (HttpContext context) =>
{
    string? next = await context.GetSession<Player>().ResumeAsync(context.Request.Headers["Resume-Token"].ToString());
    return next is null ? Results.Unauthorized() : Results.Text(next);
});

app.MapGet("/whoami", async (HttpContext context) =>
    await context.GetSession<Player>().GetAsync() is { Name: { } name } ? Results.Text(name) : Results.Unauthorized());

app.MapPost("/logout", async (HttpContext context) =>
{
    await context.GetSession<Player>().SignOutAsync();
    return Results.NoContent();
});

// Every session of this player, on every node: their sockets close within the check interval.
app.MapPost("/signout-everywhere", async Task<IResult> (HttpContext context) =>
{
    await context.GetSession<Player>().SignOutEverywhereAsync();
    return Results.NoContent();
});

app.Map("/play", async (HttpContext context) =>
{
    if (!context.WebSockets.IsWebSocketRequest) return Results.BadRequest();
    RequestSession<Player> session = context.GetSession<Player>();
    await using SessionWebSocket<Player, Player.View>? socket = await session.AcceptWebSocketAsync<Player.View>(
        new SessionWebSocketOptions { CheckInterval = TimeSpan.FromMilliseconds(250), KeepSessionAlive = true });
    if (socket is null) return Results.Unauthorized();

    using var stop = CancellationTokenSource.CreateLinkedTokenSource(socket.SessionEnded, context.RequestAborted);
    Task ticks = TickAsync(socket, stop.Token);
    try
    {
        await ReceiveAsync(socket, session);
    }
    catch (WebSocketException)
    {
        // The client dropped: it may come back with its resume token.
    }
    finally
    {
        await stop.CancelAsync();
        await ticks;
    }

    return Results.Empty;
});

app.Run();

// Every 50 ms: read the player through the view (a cache hit, no storage I/O, no copy) and send the state.
static async Task TickAsync(SessionWebSocket<Player, Player.View> socket, CancellationToken stop)
{
    using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
    long tick = 0;
    try
    {
        while (await timer.WaitForNextTickAsync(stop))
        {
            if (!socket.TryRead(out Player.View player)) return; // the session ended: the socket is closing
            string state = string.Create(CultureInfo.InvariantCulture, $"state {++tick} {player.X} {player.Y} {player.Moves}");
            await socket.SendAsync(Encoding.ASCII.GetBytes(state), WebSocketMessageType.Text, cancellationToken: stop);
        }
    }
    catch (Exception e) when (e is OperationCanceledException or WebSocketException)
    {
        // Stopped, or the connection is gone.
    }
}

// "move dx dy" moves the player (compare-and-set: never a lost move); "token" asks for a fresh resume token.
static async Task ReceiveAsync(SessionWebSocket<Player, Player.View> socket, RequestSession<Player> session)
{
    byte[] buffer = new byte[128];
    while (true)
    {
        ValueWebSocketReceiveResult received = await socket.Socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
        if (received.MessageType == WebSocketMessageType.Close) return;
        string[] words = Encoding.ASCII.GetString(buffer, 0, received.Count).Split(' ');
        if (words is ["move", var dx, var dy]
            && int.TryParse(dx, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x)
            && int.TryParse(dy, NumberStyles.Integer, CultureInfo.InvariantCulture, out int y))
        {
            if (!await socket.UpdateAsync(p =>
            {
                p.X += x;
                p.Y += y;
                p.Moves++;
                return p;
            }))
            {
                return;
            }
        }
        else if (words is ["token"])
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes("token " + await session.IssueResumeTokenAsync()), WebSocketMessageType.Text);
        }
    }
}
