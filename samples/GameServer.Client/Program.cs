using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

// Plays samples/GameServer as a game client would, and fails (exit code 1, the step named) on any misbehaviour:
// login, play over a WebSocket, drop, resume with the resume token, play on, sign out (the socket must close), and
// check that nothing opens the ended session again; then a player signed in on two devices signs out everywhere from one,
// and the other's socket must close. (A replayed resume token ending the session is covered by the tests:
// whether a replay counts as a concurrent retry depends on timing, which a gate on a loaded machine must not.) Usage: GameServer.Client http://127.0.0.1:PORT
if (args.Length != 1 || !Uri.TryCreate(args[0], UriKind.Absolute, out Uri? baseAddress))
{
    Console.Error.WriteLine("usage: GameServer.Client http://host:port");
    return 2;
}

using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
try
{
    // 1. Login: the session token comes back in a header, the resume token in the body, and no cookie is set.
    HttpResponseMessage login = await http.PostAsync("/login?name=ada", null);
    Expect(login.StatusCode == HttpStatusCode.OK, $"login answered {login.StatusCode}");
    Expect(!login.Headers.Contains("Set-Cookie"), "login set a cookie on a header route");
    string session = Single(login, "Session-Token");
    string resume = await login.Content.ReadAsStringAsync();

    // 2. Play: ticks arrive with the player's state; a move shows up in the following ticks.
    using (ClientWebSocket first = await ConnectAsync(baseAddress, session))
    {
        await WaitForStateAsync(first, x: 0, y: 0, moves: 0);
        await SendAsync(first, "move 1 2");
        await WaitForStateAsync(first, x: 1, y: 2, moves: 1);
        first.Abort(); // 3. The connection drops.
    }

    // 4. Resume: the token is traded for the same session and the next token.
    HttpResponseMessage resumed = await ResumeAsync(http, resume);
    Expect(resumed.StatusCode == HttpStatusCode.OK, $"resume answered {resumed.StatusCode}");
    Expect(Single(resumed, "Session-Token") == session, "resume returned another session");
    string next = await resumed.Content.ReadAsStringAsync();
    Expect(next != resume, "the resume token did not rotate");

    // 5. Play on: the state survived the drop, and the socket hands out fresh resume tokens.
    using ClientWebSocket second = await ConnectAsync(baseAddress, session);
    await WaitForStateAsync(second, x: 1, y: 2, moves: 1);
    await SendAsync(second, "move 1 0");
    await WaitForStateAsync(second, x: 2, y: 2, moves: 2);
    await SendAsync(second, "token");
    await WaitForAsync(second, m => m.StartsWith("token ", StringComparison.Ordinal), "a resume token over the socket");

    // 6. Sign out over HTTP: the socket must be closed by the server (PolicyViolation), promptly.
    var clock = Stopwatch.StartNew();
    var logout = new HttpRequestMessage(HttpMethod.Post, "/logout");
    logout.Headers.TryAddWithoutValidation("Authorization", "Bearer " + session);
    Expect((await http.SendAsync(logout)).StatusCode == HttpStatusCode.NoContent, "logout");
    WebSocketCloseStatus? status = await WaitForCloseAsync(second);
    Expect(status == WebSocketCloseStatus.PolicyViolation, $"the socket closed with {status?.ToString() ?? "nothing"}, expected PolicyViolation");
    TimeSpan closedAfter = clock.Elapsed;

    // 7. Nothing opens the ended session again: not its token, not the rotated resume token, not a new socket.
    var whoami = new HttpRequestMessage(HttpMethod.Get, "/whoami");
    whoami.Headers.TryAddWithoutValidation("Authorization", "Bearer " + session);
    Expect((await http.SendAsync(whoami)).StatusCode == HttpStatusCode.Unauthorized, "the signed-out token still opens the session");
    Expect((await ResumeAsync(http, next)).StatusCode == HttpStatusCode.Unauthorized, "a resume token outlived its session");
    try
    {
        using ClientWebSocket third = await ConnectAsync(baseAddress, session);
        throw new StepFailedException("a WebSocket was accepted for the signed-out session");
    }
    catch (WebSocketException)
    {
        // Refused with 401, as it must be.
    }

    // 8. Sign out everywhere: a player signed in twice (two devices) plays on one; the other device signs out everywhere,
    // and the playing socket must close, its session and its resume token refused.
    HttpResponseMessage phone = await http.PostAsync("/login?name=bea", null);
    Expect(phone.StatusCode == HttpStatusCode.OK, $"second player's login answered {phone.StatusCode}");
    string phoneSession = Single(phone, "Session-Token");
    string phoneResume = await phone.Content.ReadAsStringAsync();
    HttpResponseMessage laptop = await http.PostAsync("/login?name=bea", null);
    string laptopSession = Single(laptop, "Session-Token");
    using ClientWebSocket playing = await ConnectAsync(baseAddress, phoneSession);
    await WaitForStateAsync(playing, x: 0, y: 0, moves: 0);
    clock.Restart();
    var everywhere = new HttpRequestMessage(HttpMethod.Post, "/signout-everywhere");
    everywhere.Headers.TryAddWithoutValidation("Authorization", "Bearer " + laptopSession);
    Expect((await http.SendAsync(everywhere)).StatusCode == HttpStatusCode.NoContent, "sign out everywhere");
    status = await WaitForCloseAsync(playing);
    Expect(status == WebSocketCloseStatus.PolicyViolation, $"after sign out everywhere the socket closed with {status?.ToString() ?? "nothing"}, expected PolicyViolation");
    TimeSpan everywhereAfter = clock.Elapsed;
    var phoneWhoami = new HttpRequestMessage(HttpMethod.Get, "/whoami");
    phoneWhoami.Headers.TryAddWithoutValidation("Authorization", "Bearer " + phoneSession);
    Expect((await http.SendAsync(phoneWhoami)).StatusCode == HttpStatusCode.Unauthorized, "a session outlived sign out everywhere");
    Expect((await ResumeAsync(http, phoneResume)).StatusCode == HttpStatusCode.Unauthorized, "a resume token outlived sign out everywhere");

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GameServer.Client OK: login, play, drop, resume (rotated), play on, sign-out closed the socket in {closedAfter.TotalMilliseconds:F0} ms, ended session refused, sign out everywhere closed the other device's socket in {everywhereAfter.TotalMilliseconds:F0} ms"));
    return 0;
}
catch (Exception e) when (e is StepFailedException or HttpRequestException or WebSocketException or OperationCanceledException)
{
    Console.Error.WriteLine("GameServer.Client FAILED: " + e.Message);
    return 1;
}

static void Expect(bool condition, string failure)
{
    if (!condition) throw new StepFailedException(failure);
}

static string Single(HttpResponseMessage response, string header) =>
    response.Headers.TryGetValues(header, out var values) && values.ToArray() is [var value] && value.Length > 0
        ? value
        : throw new StepFailedException($"no {header} header in the answer to {response.RequestMessage?.RequestUri}");

static Task<HttpResponseMessage> ResumeAsync(HttpClient http, string token)
{
    var request = new HttpRequestMessage(HttpMethod.Post, "/resume");
    request.Headers.TryAddWithoutValidation("Resume-Token", token);
    return http.SendAsync(request);
}

static async Task<ClientWebSocket> ConnectAsync(Uri baseAddress, string session)
{
    var socket = new ClientWebSocket();
    socket.Options.SetRequestHeader("Authorization", "Bearer " + session);
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    await socket.ConnectAsync(new UriBuilder(baseAddress) { Scheme = "ws", Path = "/play" }.Uri, timeout.Token);
    return socket;
}

static async Task SendAsync(ClientWebSocket socket, string message)
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    await socket.SendAsync(Encoding.ASCII.GetBytes(message), WebSocketMessageType.Text, true, timeout.Token);
}

static Task WaitForStateAsync(ClientWebSocket socket, int x, int y, int moves) =>
    WaitForAsync(socket, m => m.Split(' ') is ["state", _, var sx, var sy, var sm] && sx == Text(x) && sy == Text(y) && sm == Text(moves), $"state x={x} y={y} moves={moves}");

static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

static async Task WaitForAsync(ClientWebSocket socket, Func<string, bool> wanted, string what)
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    byte[] buffer = new byte[256];
    string last = "nothing";
    try
    {
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close) throw new StepFailedException($"the socket closed while waiting for {what} (last message: {last})");
            last = Encoding.ASCII.GetString(buffer, 0, result.Count);
            if (wanted(last)) return;
        }
    }
    catch (OperationCanceledException)
    {
        throw new StepFailedException($"no {what} within 10 s (last message: {last})");
    }
}

static async Task<WebSocketCloseStatus?> WaitForCloseAsync(ClientWebSocket socket)
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    byte[] buffer = new byte[256];
    try
    {
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close) return result.CloseStatus;
        }
    }
    catch (OperationCanceledException)
    {
        throw new StepFailedException("the server did not close the socket within 10 s of the sign-out");
    }
}

/// <summary>A step of the scenario misbehaved.</summary>
internal sealed class StepFailedException(string message) : Exception(message);
