using System;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SessionConnector.AspNetCore;
using WebApi;

// A NativeAOT minimal API on SessionConnector: login, counter, logout, whoami, the user's sessions, sign out everywhere. Keys come from
// SESSIONCONNECTOR_KEYS or SessionConnector:Keys; without one only the Development environment starts.
// WEBAPI_SESSIONS=off runs the same app without sessions (the start-up baseline of scripts/bench-web.sh); =floor does too,
// but its login seals one AES-GCM block where a session login would seal its record (the crypto floor, CryptoFloor.cs).
StartupPhases.Start();
string? sessionsMode = Environment.GetEnvironmentVariable("WEBAPI_SESSIONS");
bool floor = string.Equals(sessionsMode, "floor", StringComparison.OrdinalIgnoreCase);
bool sessions = !floor && !string.Equals(sessionsMode, "off", StringComparison.OrdinalIgnoreCase);

var builder = WebApplication.CreateSlimBuilder(args);
StartupPhases.Mark("builder");
if (sessions)
{
#if WEBAPI_SOAK
    builder.Services.AddSessionConnector(builder.Configuration, SoakSettings.Apply);
#else
    builder.Services.AddSessionConnector(builder.Configuration);
#endif
    builder.Services.AddHealthChecks().AddSessionStorage();
    StartupPhases.Mark("register");
}

var app = builder.Build();
StartupPhases.Mark("build");
if (StartupPhases.Enabled)
{
    // Outermost: the first request's arrival and completion (scripts/bench-web.sh --phases).
    app.Lifetime.ApplicationStarted.Register(static () => StartupPhases.Mark("listening"));
    app.Use(static (context, next) =>
    {
        StartupPhases.Mark("request-arrived");
        // Registered first, so it runs after the session's own response-start callback (the commit): the commit's end.
        context.Response.OnStarting(static () =>
        {
            StartupPhases.Mark("commit");
            return Task.CompletedTask;
        });
        context.Response.OnCompleted(static () =>
        {
            StartupPhases.Mark("response-sent");
            StartupPhases.Print();
            return Task.CompletedTask;
        });
        return next(context);
    });
}

if (!sessions)
{
    app.MapPost("/login", (string user) =>
    {
        if (floor) CryptoFloor.SealOne();
        StartupPhases.Mark("handler");
        return Results.Text($"hello {user}");
    });
    StartupPhases.Mark("pipeline");
    app.Run();
    return;
}

app.UseSessionConnector();
app.MapHealthChecks("/health");
StartupPhases.Mark("pipeline");

app.MapPost("/login", async (HttpContext context, string user) =>
{
    RequestSession<WebSession> session = context.GetSession<WebSession>();
    WebSession data = await session.GetAsync();
    StartupPhases.Mark("session-load");
    data.User = user;
    data.Counter = 0;
    // A new ID at login (an ID planted before it is worthless), bound to the user so "sign out everywhere" can end it.
    // The sample uses the user name as the principal id; a real app passes its stable user id.
    await session.RenewAsync(principalId: user, label: context.Request.Headers.UserAgent.ToString());
    StartupPhases.Mark("session-renew");
    return Results.Text($"hello {user}");
});

// The signed-in user's sessions, one per line: handle, label, sign-in time, and "current" for this one.
app.MapGet("/sessions", async Task<IResult> (HttpContext context) =>
{
    RequestSession<WebSession> session = context.GetSession<WebSession>();
    if (await session.GetAsync() is not { User: not null }) return Results.Unauthorized();
    var lines = new System.Text.StringBuilder();
    foreach (SessionConnector.PrincipalSession s in await session.ListSessionsAsync())
    {
        lines.Append(CultureInfo.InvariantCulture, $"{s.Handle}\t{s.Label}\t{s.CreatedAt.ToUnixTimeSeconds()}{(s.IsCurrent ? "\tcurrent" : "")}\n");
    }

    return Results.Text(lines.ToString());
});

app.MapPost("/sessions/{handle}/end", async Task<IResult> (HttpContext context, string handle) =>
{
    RequestSession<WebSession> session = context.GetSession<WebSession>();
    if (await session.GetAsync() is not { User: not null }) return Results.Unauthorized();
    return await session.EndSessionAsync(handle) ? Results.NoContent() : Results.NotFound();
});

app.MapPost("/signout-everywhere", async Task<IResult> (HttpContext context) =>
{
    RequestSession<WebSession> session = context.GetSession<WebSession>();
    if (await session.GetAsync() is not { User: not null }) return Results.Unauthorized();
    await session.SignOutEverywhereAsync();
    return Results.NoContent();
});

app.MapGet("/whoami", async (HttpContext context) =>
    await context.GetSession<WebSession>().GetAsync() is { User: { } user } ? Results.Text(user) : Results.Unauthorized());

app.MapGet("/counter", async (HttpContext context) =>
    await context.GetSession<WebSession>().GetAsync() is { User: not null } s
        ? Results.Text(s.Counter.ToString(CultureInfo.InvariantCulture))
        : Results.Unauthorized());

app.MapPost("/counter", async (HttpContext context) =>
{
    RequestSession<WebSession> session = context.GetSession<WebSession>();
    if (await session.GetAsync() is not { User: not null }) return Results.Unauthorized();
    WebSession saved = await session.UpdateAsync(s => s.Counter++); // atomic: parallel requests never lose a count
    return Results.Text(saved.Counter.ToString(CultureInfo.InvariantCulture));
});

app.MapPost("/logout", async (HttpContext context) =>
{
    await context.GetSession<WebSession>().SignOutAsync();
    return Results.NoContent();
});

// The minimal-API trap of issue 22. ASP.NET's request delegate generator compiles without what the [SessionData]
// generator adds, so it cannot infer this lambda's return type and would discard the result (an empty 200 instead of
// 401). The declared return type is the fix; without it the build stops on SCG030. (Results.Text, not the issue's
// Results.Ok: a JSON body needs a JsonSerializerContext under NativeAOT, which is beside the point here.)
app.MapGet("/me", async Task<IResult> (HttpContext http) =>
{
    var d = await http.GetSession<WebSession>().GetAsync();
    return d.User is null ? Results.Unauthorized() : Results.Text(d.User);
});

app.MapGet("/ping", () => Results.Text("pong")); // never touches the session: no I/O, no cookie
#if WEBAPI_SOAK
app.MapGet("/diag", SoakSettings.Diagnostics);
#endif

app.Run();
