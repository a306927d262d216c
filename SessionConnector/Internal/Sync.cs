using System.Diagnostics;
using System.Threading.Tasks;

namespace SessionConnector.Internal;

/// <summary>
/// Runs the sync side of a <c>bool async</c> core. With <c>async: false</c> a core calls only sync members, so its task
/// is complete when it returns and reading the result neither blocks nor allocates (as System.Net.Http's sync Send does).
/// </summary>
internal static class Sync
{
    public static T Result<T>(ValueTask<T> task)
    {
        Debug.Assert(task.IsCompleted, "A core called with async: false must complete synchronously.");
        return task.GetAwaiter().GetResult();
    }

    public static void Wait(ValueTask task)
    {
        Debug.Assert(task.IsCompleted, "A core called with async: false must complete synchronously.");
        task.GetAwaiter().GetResult();
    }
}
