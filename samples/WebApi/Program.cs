using System;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SessionConnector.AspNetCore;
using WebApi;

// A NativeAOT minimal API on SessionConnector: login, counter, logout, whoami. Keys come from
// SESSIONCONNECTOR_KEYS or SessionConnector:Keys; without one only the Development environment starts.
// WEBAPI_SESSIONS=off runs the same app without sessions (the start-up baseline of scripts/bench-web.sh).
bool sessions = !string.Equals(Environment.GetEnvironmentVariable("WEBAPI_SESSIONS"), "off", StringComparison.OrdinalIgnoreCase);

var builder = WebApplication.CreateSlimBuilder(args);
if (sessions)
{
#if WEBAPI_SOAK
    builder.Services.AddSessionConnector(builder.Configuration, SoakSettings.Apply);
#else
    builder.Services.AddSessionConnector(builder.Configuration);
#endif
    builder.Services.AddHealthChecks().AddSessionStorage();
}

var app = builder.Build();
if (!sessions)
{
    app.MapPost("/login", (string user) => Results.Text($"hello {user}"));
    app.Run();
    return;
}

app.UseSessionConnector();
app.MapHealthChecks("/health");

app.MapPost("/login", async (HttpContext context, string user) =>
{
    RequestSession<WebSession> session = context.GetSession<WebSession>();
    WebSession data = await session.GetAsync();
    data.User = user;
    data.Counter = 0;
    await session.RenewAsync(); // a new ID at login: an ID planted before it is worthless
    return Results.Text($"hello {user}");
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

app.MapGet("/ping", () => Results.Text("pong")); // never touches the session: no I/O, no cookie
#if WEBAPI_SOAK
app.MapGet("/diag", SoakSettings.Diagnostics);
#endif

app.Run();
