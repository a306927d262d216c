using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SessionConnector.AspNetCore.Tests.Support;

/// <summary>Sign-in bound to a principal, the user's session list, ending one, and sign out everywhere.</summary>
internal static class PrincipalEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/signin", async Task<IResult> (HttpContext context, string user, string? device) =>
        {
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            (await session.GetAsync()).User = user;
            await session.RenewAsync(principalId: user, label: device);
            return Results.Text("hello " + user);
        });

        app.MapGet("/sessions", async Task<IResult> (HttpContext context) =>
        {
            RequestSession<TestSession> session = context.GetSession<TestSession>();
            if (await session.GetAsync() is not { User: not null }) return Results.Unauthorized();
            var text = new StringBuilder();
            foreach (PrincipalSession s in await session.ListSessionsAsync()) text.Append(s.Handle).Append(' ').Append(s.Label).Append(s.IsCurrent ? " current" : "").Append('\n');
            return Results.Text(text.ToString());
        });

        app.MapPost("/sessions/end", async Task<IResult> (HttpContext context, string handle) =>
            await context.GetSession<TestSession>().EndSessionAsync(handle) ? Results.NoContent() : Results.NotFound());

        app.MapPost("/signout-everywhere", async Task<IResult> (HttpContext context) =>
        {
            await context.GetSession<TestSession>().SignOutEverywhereAsync();
            return Results.NoContent();
        });
    }
}
