using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using SessionConnector.Storage;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>
/// Makes the session available to endpoints and turns session failures that escape them into honest statuses while
/// the response can still change: storage down is 503 (not 500), an unmergeable concurrent change is 409. A request
/// that throws commits nothing, and once the request leaves this middleware its session can no longer be used.
/// </summary>
internal sealed class SessionConnectorMiddleware(RequestDelegate next, SessionConnectorHost host)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var feature = new SessionRequestFeature(host, context);
        context.Features.Set(feature);
        if (host.KeepAlive is not null) feature.Register();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (SessionStorageException e) when (!context.Response.HasStarted)
        {
            Log.StorageUnavailable(host.Logger, context.Request.Path, e);
            Answer(context, feature, StatusCodes.Status503ServiceUnavailable);
        }
        catch (SessionConflictException e) when (!context.Response.HasStarted)
        {
            Log.CommitConflict(host.Logger, context.Request.Path, e);
            Answer(context, feature, StatusCodes.Status409Conflict);
        }
        catch
        {
            // Whatever answers for the exception next (UseExceptionHandler re-running the pipeline, the developer
            // page, Kestrel's own 500), the half-done request's session changes are never committed and no cookie is issued.
            feature.Fail("the endpoint threw");
            throw;
        }
        finally
        {
            // An outer middleware running after this point must not read or write the session.
            feature.Close();
        }
    }

    private static void Answer(HttpContext context, SessionRequestFeature feature, int status)
    {
        // Nothing of the failed request is committed and no cookie is issued for a session that was not saved.
        feature.Fail($"answered {status}");
        context.Response.Clear();
        context.Response.StatusCode = status;
    }
}
