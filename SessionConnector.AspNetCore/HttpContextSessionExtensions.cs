using System;
using Microsoft.AspNetCore.Http;
using SessionConnector.AspNetCore.Internal;

namespace SessionConnector.AspNetCore;

/// <summary>Typed session access from an endpoint.</summary>
public static class HttpContextSessionExtensions
{
    /// <summary>
    /// This request's session of type <typeparamref name="T"/>. Lazy: nothing is read until the data is asked for,
    /// and a request that never calls this does no storage I/O and sets no cookie. One session type per app cookie.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>app.UseSessionConnector()</c> is not in the pipeline, the session was opened as another type, or the request has already left the session middleware (an outer middleware after the response).</exception>
    public static RequestSession<T> GetSession<T>(this HttpContext context) where T : ISessionData<T>
    {
        ArgumentNullException.ThrowIfNull(context);
        SessionRequestFeature feature = context.Features.Get<SessionRequestFeature>()
            ?? throw new InvalidOperationException("No session middleware ran for this request: call app.UseSessionConnector() before the endpoints that use sessions.");
        return feature.GetOrCreate<T>();
    }
}
