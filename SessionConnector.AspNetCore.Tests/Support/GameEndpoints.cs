using System;
using System.Globalization;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SessionConnector.AspNetCore.Tests.Support;

/// <summary>A game client's endpoints: a route group on the header transport, resume tokens and a session-bound WebSocket.</summary>
internal static class GameEndpoints
{
    public const string ResumeHeader = "Resume-Token";

    public static void Map(WebApplication app, SessionWebSocketOptions? socketOptions = null)
    {
        RouteGroupBuilder game = app.MapGroup("/game").WithSessionHeader();

        game.MapPost("/login", async (HttpContext context, string user) =>
        {
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            (await session.GetAsync()).User = user;
            await session.RenewAsync();
            return Results.Text(await session.IssueResumeTokenAsync());
        });

        // A login bound to the player's principal (the user name here), so sign out everywhere reaches all its sessions.
        game.MapPost("/login-bound", async (HttpContext context, string user) =>
        {
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            (await session.GetAsync()).User = user;
            await session.RenewAsync(principalId: user);
            return Results.Text(await session.IssueResumeTokenAsync());
        });

        game.MapPost("/signout-everywhere", async (HttpContext context) =>
        {
            await context.GetSession<TestSession>().SignOutEverywhereAsync();
            return Results.NoContent();
        });

        game.MapGet("/whoami", async (HttpContext context) =>
            await context.GetSession<TestSession>().GetAsync() is { User: { } user } ? Results.Text(user) : Results.Unauthorized());

        game.MapPost("/note", async (HttpContext context, string note) =>
        {
            (await context.GetSession<TestSession>().GetAsync()).Note = note;
            return Results.Text("noted");
        });

        game.MapPost("/renew", async (HttpContext context) =>
        {
            await context.GetSession<TestSession>().RenewAsync();
            return Results.NoContent();
        });

        game.MapPost("/logout", async (HttpContext context) =>
        {
            await context.GetSession<TestSession>().SignOutAsync();
            return Results.NoContent();
        });

        game.MapPost("/resume", async (HttpContext context) =>
        {
            string? next = await context.GetSession<TestSession>().ResumeAsync(context.Request.Headers[ResumeHeader].ToString());
            return next is null ? Results.Unauthorized() : Results.Text(next);
        });

        // "inc" adds one to the counter (UpdateAsync), anything else reads it; every reply is read through the view.
        game.Map("/play", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest) return Results.BadRequest();
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            await using SessionWebSocket<TestSession, TestSession.View>? socket = await session.AcceptWebSocketAsync<TestSession.View>(socketOptions);
            if (socket is null) return Results.Unauthorized();
            byte[] buffer = new byte[256];
            try
            {
                while (true)
                {
                    ValueWebSocketReceiveResult received = await socket.Socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (received.MessageType == WebSocketMessageType.Close) break;
                    if (buffer.AsSpan(0, received.Count).SequenceEqual("inc"u8) && !await socket.UpdateAsync(s =>
                    {
                        s.Counter++;
                        return s;
                    }))
                    {
                        break;
                    }

                    if (!socket.TryRead(out TestSession.View view)) break;
                    await socket.SendAsync(Encoding.ASCII.GetBytes(view.Counter.ToString(CultureInfo.InvariantCulture)), WebSocketMessageType.Text);
                }
            }
            catch (OperationCanceledException)
            {
                // The session ended: the socket is being closed with PolicyViolation.
            }
            catch (WebSocketException)
            {
                // The client went away.
            }

            return Results.Empty;
        });
    }

    public static HttpRequestMessage Bearer(this HttpRequestMessage request, string token)
    {
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return request;
    }

    public static string? Token(this HttpResponseMessage response) =>
        response.Headers.TryGetValues(SessionTokenHeader.DefaultResponseHeaderName, out var values) ? string.Join(",", values) : null;
}
