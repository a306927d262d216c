using System;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace SessionConnector.AspNetCore.Tests.Support;

/// <summary>The endpoints every test app serves: the sample's four plus probes for renew, races and merges.</summary>
internal static class TestEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapHealthChecks("/health");
        app.MapGet("/ping", () => Results.Text("pong"));
        PrincipalEndpoints.Map(app);

        app.MapPost("/login", async (HttpContext context, string user) =>
        {
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            (await session.GetAsync()).User = user;
            await session.RenewAsync();
            return Results.Text("hello " + user);
        });

        app.MapGet("/whoami", async (HttpContext context) =>
            await context.GetSession<TestSession>().GetAsync() is { User: { } user } ? Results.Text(user) : Results.Unauthorized());

        app.MapPost("/counter", async (HttpContext context) =>
        {
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            if (await session.GetAsync() is not { User: not null }) return Results.Unauthorized();
            TestSession saved = await session.UpdateAsync(s => s.Counter++);
            return Results.Text(saved.Counter.ToString(CultureInfo.InvariantCulture));
        });

        app.MapGet("/counter", async (HttpContext context) =>
            await context.GetSession<TestSession>().GetAsync() is { User: not null } s
                ? Results.Text(s.Counter.ToString(CultureInfo.InvariantCulture))
                : Results.Unauthorized());

        // The three-line example of docs/aspnetcore.md, verbatim apart from the type.
        app.MapPost("/visit", async (HttpContext http) => $"visit {(await http.GetSession<TestSession>().UpdateAsync(v => v.Counter++)).Counter}");

        app.MapPost("/logout", async (HttpContext context) =>
        {
            await context.GetSession<TestSession>().SignOutAsync();
            return Results.NoContent();
        });

        app.MapPost("/renew", async (HttpContext context) =>
        {
            await context.GetSession<TestSession>().RenewAsync();
            return Results.NoContent();
        });

        // Changes the loaded data and lets the response start: the commit happens in OnStarting.
        app.MapPost("/note", async (HttpContext context, string note) =>
        {
            (await context.GetSession<TestSession>().GetAsync()).Note = note;
            return Results.Text("noted");
        });

        app.MapPost("/member/{index:int}", async (HttpContext context, int index) =>
        {
            (await context.GetSession<TestSession>().GetAsync()).SetMember(index, index + 1);
            return Results.Text("set");
        });

        // A block with a return: an expression-bodied async lambda that merely calls a method would bind to
        // RequestDelegate, and its result would be silently discarded (an empty 200).
        app.MapGet("/members", async (HttpContext context) =>
        {
            TestSession data = await context.GetSession<TestSession>().GetAsync();
            return Results.Text(data.MembersSet().ToString(CultureInfo.InvariantCulture));
        });

        // Another writer changes Note between this request's load and its commit: the same member, a different value.
        app.MapPost("/race", async (HttpContext context, bool explicitCommit) =>
        {
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            TestSession data = await session.GetAsync();
            SessionStorageConnector connector = context.RequestServices.GetRequiredService<SessionStorageConnector>();
            await connector.UpdateAsync<TestSession>(session.Id, s => s.Note = "theirs");
            data.Note = "mine";
            if (explicitCommit) await session.CommitAsync();
            return Results.Text("raced");
        });

        // Changes the session, then fails: nothing of it may be committed, whatever answers for the exception.
        app.MapPost("/note-then-throw", async (HttpContext context, string note) =>
        {
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            (await session.GetAsync()).Note = note;
            context.Items["session"] = session;
            throw new InvalidOperationException("the endpoint failed after changing the session");
        });

        app.Map("/error", () => Results.Text("handled", statusCode: StatusCodes.Status500InternalServerError));

        app.MapPost("/clear", async (HttpContext context, bool load, string? note) =>
        {
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            if (load) await session.LoadAsync();
            if (note is not null) session.Data.Note = note; // a change the clear must undo
            session.Clear();
            return Results.NoContent();
        });

        // Streams first, then uses the session: reads work, changes are refused (their commit point has passed).
        app.MapPost("/stream", async (HttpContext context) =>
        {
            await context.Response.WriteAsync("streaming;");
            await context.Response.Body.FlushAsync();
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            TestSession data = await session.GetAsync();
            await context.Response.WriteAsync((data.User ?? "nobody") + ";");
            try
            {
                await session.UpdateAsync(s => s.Note = "late");
                await context.Response.WriteAsync("saved");
            }
            catch (InvalidOperationException)
            {
                await context.Response.WriteAsync("refused");
            }
        });

        // Leaves the loaded session where an outer middleware can find it after the response.
        app.MapGet("/stash", async (HttpContext context) =>
        {
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            await session.LoadAsync();
            context.Items["session"] = session;
            return Results.Text("stashed");
        });
    }
}
