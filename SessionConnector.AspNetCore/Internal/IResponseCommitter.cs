using System.Threading.Tasks;

namespace SessionConnector.AspNetCore.Internal;

/// <summary>What the response-starting callback calls, whatever the session's data type.</summary>
internal interface IResponseCommitter
{
    Task OnResponseStartingAsync();
}
