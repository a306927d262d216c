using System;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

// samples/WebApi's endpoints on ASP.NET Core's built-in session (same slim builder, same routes, same cookie name),
// so scripts/bench-web.sh compares the session layers and nothing else.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddDistributedMemoryCache();
builder.Services.AddSession(o =>
{
    o.Cookie.Name = "sid";
    o.Cookie.HttpOnly = true;
    o.IdleTimeout = TimeSpan.FromMinutes(20);
});

var app = builder.Build();
app.UseSession();

app.MapPost("/login", async (HttpContext context, string user) =>
{
    await context.Session.LoadAsync();
    context.Session.SetString("user", user);
    context.Session.SetInt32("counter", 0);
    return Results.Text($"hello {user}");
});

app.MapGet("/whoami", async (HttpContext context) =>
{
    await context.Session.LoadAsync();
    return context.Session.GetString("user") is { } user ? Results.Text(user) : Results.Unauthorized();
});

app.MapGet("/counter", async (HttpContext context) =>
{
    await context.Session.LoadAsync();
    return context.Session.GetString("user") is null
        ? Results.Unauthorized()
        : Results.Text((context.Session.GetInt32("counter") ?? 0).ToString(CultureInfo.InvariantCulture));
});

app.MapPost("/counter", async (HttpContext context) =>
{
    await context.Session.LoadAsync();
    if (context.Session.GetString("user") is null) return Results.Unauthorized();
    // Read-modify-write without compare-and-set: what AddSession offers (parallel requests can lose counts).
    int next = (context.Session.GetInt32("counter") ?? 0) + 1;
    context.Session.SetInt32("counter", next);
    return Results.Text(next.ToString(CultureInfo.InvariantCulture));
});

app.MapPost("/logout", async (HttpContext context) =>
{
    await context.Session.LoadAsync();
    context.Session.Clear();
    return Results.NoContent();
});

app.MapGet("/ping", () => Results.Text("pong"));

app.Run();
